import type { Lang } from "../i18n.ts";
import type { Report } from "./model.ts";
import { L } from "./strings.ts";
import type { Table } from "./tables.ts";

/** Excel refuses sheet names over 31 characters or with any of []:*?/\ */
const sheetName = (title: string, i: number) => `${i + 1} ${title.replace(/[[\]:*?/\\]/g, " ")}`.slice(0, 31);

/** The report as an Excel workbook: a cover sheet, then one sheet per section with numbers kept as numbers. */
export async function reportXlsx(r: Report, tables: readonly Table[], lang: Lang, when: (ts: number) => string): Promise<Buffer> {
  // loaded on first use: exceljs and its zip libraries are about 30 MB a gateway that never exports does not carry
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  wb.creator = "linli";
  wb.created = new Date(r.builtAt);
  const cover = wb.addWorksheet(L.title[lang].slice(0, 31));
  cover.columns = [{ width: 18 }, { width: 40 }];
  cover.addRow([`${L[r.kind][lang]} · ${r.site}`]).font = { bold: true, size: 14 };
  cover.addRow([L.period[lang], `${r.label} (${r.timeZone})`]);
  cover.addRow([L.builtAt[lang], when(r.builtAt)]);
  tables.forEach((table, i) => {
    const ws = wb.addWorksheet(sheetName(table.title, i));
    ws.addRow([table.title]).font = { bold: true, size: 13 };
    const header = ws.addRow(table.columns);
    header.font = { bold: true };
    header.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFDDE6EE" } };
    for (const row of table.rows) ws.addRow(row);
    if (table.rows.length === 0) ws.addRow([L.none[lang]]);
    ws.columns.forEach((c, j) => (c.width = Math.max(10, ...[table.columns[j] ?? "", ...table.rows.map((row) => String(row[j] ?? ""))].map((s) => Math.min(60, s.length * 2)))));
    ws.views = [{ state: "frozen", ySplit: 2 }];
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
