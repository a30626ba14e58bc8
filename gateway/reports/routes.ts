import type { IncomingMessage, ServerResponse } from "node:http";
import type { Counter } from "prom-client";
import { escapeHtml, langCookies, langOf, sendHtml } from "../console/html.ts";
import { loginPage } from "../console/login-page.ts";
import { navFor } from "../console/nav.ts";
import { staffCss } from "../console/staff-css.ts";
import type { Core } from "../core.ts";
import { sendJson } from "../http/routes.ts";
import type { Lang } from "../i18n.ts";
import { FILE_TYPES, type ReportFiles } from "./files.ts";
import { reportsPage } from "./page.ts";
import { isDate, periodSlug, previousPeriod, type PeriodKind } from "./period.ts";
import type { Reports } from "./reports.ts";

type Asked = { ok: true; kind: PeriodKind; date: string } | { ok: false; error: string };

/** `?kind=day|week&date=YYYY-MM-DD`; without a date, the last whole day or week. */
function asked(url: URL, timeZone: string): Asked {
  const kind = url.searchParams.get("kind") ?? "day";
  if (kind !== "day" && kind !== "week") return { ok: false, error: `kind must be day or week, not ${kind.slice(0, 20)}` };
  const date = url.searchParams.get("date") ?? previousPeriod(kind, Date.now(), timeZone).date;
  if (!isDate(date)) return { ok: false, error: `date must be a day as YYYY-MM-DD, not ${date.slice(0, 20)}` };
  return { ok: true, kind, date };
}

const forbidden = (lang: Lang) =>
  `<!doctype html><html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>403</title><style>${staffCss}</style></head>
<body><main><h1 id="forbidden">${escapeHtml(lang === "zh" ? "您的账号角色无权查看报表（需要主管或管理员）。" : "Your account's role may not open the reports (a supervisor's or an administrator's may).")}</h1><p><a href="/">${lang === "zh" ? "返回" : "Back"}</a></p></main></body></html>`;

/**
 * The reports page, its files built on request, the files the schedule kept, and the figures as
 * JSON: all behind the console's sign-in and the `reports` permission (supervisors, administrators).
 */
export function addReportRoutes(core: Core, reports: Reports, files: ReportFiles, badRequests: Counter): void {
  const lang = (req: IncomingMessage, url: URL) => langOf(req, url, core.config.alerts.console.language);
  /** undefined when the request may go on; otherwise the refusal is sent */
  const refuse = (req: IncomingMessage, res: ServerResponse, url: URL, page: boolean): true | undefined => {
    if (!core.staff.userOf(req)) {
      if (page) sendHtml(res, 200, loginPage(lang(req, url), undefined, `${url.pathname}${url.search}`));
      else sendJson(res, 401, { error: "login required" });
      return true;
    }
    if (!core.staff.may(req, "reports")) {
      if (page) sendHtml(res, 403, forbidden(lang(req, url)));
      else sendJson(res, 403, { error: "the reports are for supervisors and administrators" });
      return true;
    }
    return undefined;
  };
  const bad = (res: ServerResponse, error: string) => {
    badRequests.inc();
    sendJson(res, 400, { error });
  };

  core.http.add("GET", "/reports", async (req, res, url) => {
    if (refuse(req, res, url, true)) return;
    const l = lang(req, url);
    const q = asked(url, reports.timeZone);
    const nav = navFor(core, req, l, url) ?? "";
    const kept = files.list();
    if (!q.ok) {
      badRequests.inc();
      const fallback = previousPeriod("day", Date.now(), reports.timeZone);
      return sendHtml(res, 400, reportsPage({ lang: l, nav, kind: "day", date: fallback.date, error: q.error, kept }), langCookies(url));
    }
    try {
      const built = await reports.build(reports.period(q.kind, q.date), l);
      sendHtml(res, 200, reportsPage({ lang: l, nav, kind: q.kind, date: q.date, report: built, kept }), langCookies(url));
    } catch (err) {
      core.log.warn({ err }, "reports: could not build the report");
      sendHtml(res, 503, reportsPage({ lang: l, nav, kind: q.kind, date: q.date, error: (err as Error).message, kept }), langCookies(url));
    }
  });

  core.http.add("GET", "/api/reports", async (req, res, url) => {
    if (refuse(req, res, url, false)) return;
    const q = asked(url, reports.timeZone);
    if (!q.ok) return bad(res, q.error);
    try {
      sendJson(res, 200, (await reports.build(reports.period(q.kind, q.date), lang(req, url))).report);
    } catch (err) {
      sendJson(res, 503, { error: (err as Error).message });
    }
  });

  for (const ext of ["xlsx", "pdf"] as const) {
    core.http.add("GET", `/reports/report.${ext}`, async (req, res, url) => {
      if (refuse(req, res, url, false)) return;
      const q = asked(url, reports.timeZone);
      if (!q.ok) return bad(res, q.error);
      const l = lang(req, url);
      try {
        const period = reports.period(q.kind, q.date);
        const built = await reports.build(period, l);
        const bytes = ext === "xlsx" ? await reports.xlsx(built, l) : await reports.pdf(built, l);
        sendFile(res, `${periodSlug(period)}.${ext}`, FILE_TYPES[ext], bytes);
      } catch (err) {
        core.log.warn({ err }, "reports: could not build the report file");
        sendJson(res, 503, { error: (err as Error).message });
      }
    });
  }

  core.http.add("GET", "/reports/files/*", (req, res, url) => {
    if (refuse(req, res, url, false)) return;
    const name = url.pathname.slice("/reports/files/".length);
    const file = files.read(name);
    if (!file) return sendJson(res, 404, { error: "no such report file" });
    sendFile(res, name, file.type, file.bytes);
  });
}

function sendFile(res: ServerResponse, name: string, type: string, bytes: Buffer): void {
  res.writeHead(200, { "content-type": type, "content-length": bytes.length, "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(bytes);
}
