import { escapeHtml } from "../console/html.ts";
import { staffCss } from "../console/staff-css.ts";
import type { Lang } from "../i18n.ts";
import type { KeptReport } from "./files.ts";
import type { Report } from "./model.ts";
import type { PeriodKind } from "./period.ts";
import { L, type Label } from "./strings.ts";
import type { Table } from "./tables.ts";

const reportCss = `
.picker{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}
.picker label{margin:0}.picker>div{flex:1 1 140px}.picker button{flex:0 0 auto}
.downloads{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.downloads a{display:inline-flex;align-items:center;min-height:44px;padding:0 14px;border-radius:6px;background:#1e8449;color:#fff;text-decoration:none}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
.scroll th,.scroll td{word-break:normal;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}
tr.sum td{font-weight:bold}
.empty{color:#566573;font-size:14px}
.kept a{color:#2e86de}
`;

export interface ReportPageInput {
  lang: Lang;
  nav: string;
  kind: PeriodKind;
  date: string;
  report?: { report: Report; tables: Table[]; when: (ts: number) => string } | undefined;
  error?: string | undefined;
  kept: readonly KeptReport[];
}

function tableHtml(table: Table, lang: Lang): string {
  if (table.rows.length === 0) return `<section><h2>${escapeHtml(table.title)}</h2><p class="empty">${escapeHtml(L.none[lang])}</p></section>`;
  const cell = (v: string | number, tag: "td" | "th") => `<${tag}${typeof v === "number" ? ' class="n"' : ""}>${escapeHtml(String(v))}</${tag}>`;
  const head = table.columns.map((c, i) => `<th${i > 0 ? ' class="n"' : ""}>${escapeHtml(c)}</th>`).join("");
  const total = new Set([L.total[lang], L.refused[lang]]);
  const rows = table.rows.map((r) => `<tr${total.has(String(r[0])) || r[1] === L.total[lang] ? ' class="sum"' : ""}>${r.map((v) => cell(v, "td")).join("")}</tr>`).join("");
  return `<section><h2>${escapeHtml(table.title)}</h2><div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

/**
 * The reports page: a day or week picker (a plain GET form, so it works without a script), the
 * report's sections as tables, links to its xlsx and PDF, and the reports the schedule kept.
 */
export function reportsPage(p: ReportPageInput): string {
  const t = (k: Label) => escapeHtml(L[k][p.lang]);
  const q = `kind=${p.kind}&date=${p.date}&lang=${p.lang}`;
  const body = p.error
    ? `<p class="error" id="report-error">${t("failed")}${escapeHtml(p.error)}</p>`
    : p.report
      ? `<div class="card" id="report"><h2>${escapeHtml(L[p.report.report.kind][p.lang])} · ${escapeHtml(p.report.report.site)} · ${escapeHtml(p.report.report.label)}</h2>
<p class="meta">${t("builtAt")} ${escapeHtml(p.report.when(p.report.report.builtAt))} (${escapeHtml(p.report.report.timeZone)})</p>
<div class="downloads"><a id="download-xlsx" href="/reports/report.xlsx?${q}">${t("xlsx")}</a><a id="download-pdf" href="/reports/report.pdf?${q}">${t("pdf")}</a></div></div>
${p.report.tables.map((x) => tableHtml(x, p.lang)).join("\n")}`
      : "";
  const kept = p.kept.length
    ? `<ul class="kept">${p.kept.map((k) => `<li>${escapeHtml(L[k.kind][p.lang])} ${escapeHtml(k.date)}: <a href="/reports/files/${k.slug}.xlsx">xlsx</a> · <a href="/reports/files/${k.slug}.pdf">PDF</a></li>`).join("")}</ul>`
    : `<p class="empty">${t("noKept")}</p>`;
  return `<!doctype html>
<html lang="${p.lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("title")}</title><style>${staffCss}${reportCss}</style></head><body>
${p.nav}
<main><h1>${t("title")}</h1>
<form class="picker card" method="get" action="/reports">
<div><label for="kind">${t("kind")}</label><select id="kind" name="kind"><option value="day"${p.kind === "day" ? " selected" : ""}>${t("day")}</option><option value="week"${p.kind === "week" ? " selected" : ""}>${t("week")}</option></select></div>
<div><label for="date">${t("date")}</label><input id="date" name="date" type="date" value="${escapeHtml(p.date)}" required></div>
<input type="hidden" name="lang" value="${p.lang}"><button type="submit" id="show">${t("show")}</button></form>
${body}
<section><h2>${t("kept")}</h2>${kept}</section>
</main></body></html>`;
}
