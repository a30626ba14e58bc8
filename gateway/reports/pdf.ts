import type { Lang } from "../i18n.ts";
import { CJK_FONT } from "../orders/pdf.ts";
import type { Report } from "./model.ts";
import { L } from "./strings.ts";
import type { Table } from "./tables.ts";

const MARGIN = 40;

/** The report as an A4 PDF for the property company's file: each section a ruled table, in the CJK font the work order PDFs use. */
export async function reportPdf(r: Report, tables: readonly Table[], lang: Lang, when: (ts: number) => string): Promise<Buffer> {
  // loaded on first use, like exceljs for the workbook (orders/pdf.ts says why)
  const { default: PDFDocument } = await import("pdfkit");
  const doc = new PDFDocument({ size: "A4", margin: MARGIN, info: { Title: `${L[r.kind][lang]} ${r.site} ${r.label}`, Creator: "linli" } });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => doc.on("end", () => resolve()));
  // a TrueType collection: the face is picked by its PostScript name
  doc.registerFont("cjk", CJK_FONT, "WenQuanYiMicroHei");
  doc.font("cjk");
  doc.fontSize(18).text(`${L[r.kind][lang]} · ${r.site}`);
  doc.fontSize(10).fillColor("#555").text(`${L.period[lang]}: ${r.label} (${r.timeZone})    ${L.builtAt[lang]}: ${when(r.builtAt)}`).fillColor("#000");
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN;
  for (const table of tables) {
    if (doc.y > bottom() - 80) doc.addPage();
    doc.moveDown(0.8).fontSize(13).text(table.title, MARGIN);
    doc.moveDown(0.3).fontSize(9);
    // the first column (names, hours) gets more room than the figures after it
    const first = Math.min(width * 0.34, 160);
    const rest = table.columns.length > 1 ? (width - first) / (table.columns.length - 1) : 0;
    const xs = table.columns.map((_, i) => (i === 0 ? MARGIN : MARGIN + first + (i - 1) * rest));
    const ws = table.columns.map((_, i) => (i === 0 ? first : rest) - 4);
    const line = (cells: ReadonlyArray<string | number>, bold: boolean) => {
      const texts = cells.map(String);
      const h = Math.max(...texts.map((s, i) => doc.heightOfString(s, { width: ws[i] ?? 40 }))) + 4;
      if (doc.y + h > bottom()) doc.addPage();
      const y = doc.y;
      if (bold) doc.rect(MARGIN, y - 1, width, h).fill("#dde6ee").fillColor("#000");
      texts.forEach((s, i) => doc.text(s, xs[i] ?? MARGIN, y + 1, { width: ws[i] ?? 40, align: i === 0 ? "left" : "right" }));
      doc.y = y + h;
      doc.moveTo(MARGIN, doc.y).lineTo(MARGIN + width, doc.y).lineWidth(0.3).strokeColor("#aab7b8").stroke();
    };
    line(table.columns, true);
    if (table.rows.length === 0) doc.text(L.none[lang], MARGIN, doc.y + 2);
    for (const row of table.rows) line(row, false);
  }
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
