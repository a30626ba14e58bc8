import type { IncomingMessage, ServerResponse } from "node:http";
import { langCookies, langOf, sendHtml } from "../../console/html.ts";
import { loginPage } from "../../console/login-page.ts";
import { consoleNav } from "../../console/nav.ts";
import type { Core } from "../../core.ts";
import { sendJson } from "../../http/routes.ts";
import type { Lang } from "../../i18n.ts";
import { labellingPage } from "./page.ts";
import { labellingJs } from "./script.ts";
import { ui } from "./strings.ts";
import { labellingCss } from "./style.ts";

/**
 * The labelling page of site learning behind the console's sign-in: `GET /learning` (the login
 * page when signed out, like `/`), its script and its style (separate files: the CSP allows no
 * inline script). The page works against the learning JSON API (`/api/learning/...`), which
 * enforces logins and roles itself; the page only hides what a guard may not use.
 */
export function addLabellingPage(core: Core): void {
  const fallback = (): Lang => core.config.alerts.console.language;
  core.pages.add({ key: "learning", path: "/learning", label: ui.labelling, permission: "alerts", order: 60 });
  core.http.add("GET", "/learning", (req, res, url) => {
    const lang = langOf(req, url, fallback());
    const name = core.staff.displayNameOf(req);
    const role = core.staff.roleOf(req);
    const html = name && role ? labellingPage(lang, consoleNav(core.pages.list(), { displayName: name, role }, lang, url), name, role, core.config.alerts.timeZone) : loginPage(lang, undefined, "/learning");
    sendHtml(res, 200, html, langCookies(url));
  });
  core.http.add("GET", "/learning.js", (req, res) => asset(core, req, res, "text/javascript; charset=utf-8", labellingJs));
  core.http.add("GET", "/learning.css", (req, res) => asset(core, req, res, "text/css; charset=utf-8", labellingCss));
}

function asset(core: Core, req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  if (!core.staff.userOf(req)) return sendJson(res, 401, { error: "login required" });
  if (!core.staff.may(req, "alerts")) return sendJson(res, 403, { error: "the guard room's role is needed for labelling" });
  res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}
