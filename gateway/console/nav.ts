import type { IncomingMessage } from "node:http";
import type { Core } from "../core.ts";
import type { Lang, Texts } from "../i18n.ts";
import { may, type StaffRole } from "../staff/roles.ts";
import { escapeHtml, otherLang } from "./html.ts";
import type { ConsolePage } from "./pages.ts";

const navUi = {
  console: { zh: "控制台导航", en: "Console" },
  signOut: { zh: "退出", en: "Sign out" },
  language: { zh: "English", en: "中文" },
  guard: { zh: "保安", en: "Guard" },
  technician: { zh: "维修工", en: "Technician" },
  supervisor: { zh: "主管", en: "Supervisor" },
  administrator: { zh: "管理员", en: "Administrator" },
} satisfies Record<string, Texts>;

export const roleName = (role: StaffRole, lang: Lang): string => navUi[role][lang];

/** Who is signed in, as the navigation names them. */
export interface NavViewer {
  displayName: string;
  role: StaffRole;
}

/** Whether `pathname` is `page` or one of its own pages (`/orders/WO-1` is work orders; only `/` is the alerts page). */
function isHere(page: ConsolePage, pathname: string): boolean {
  return pathname === page.path || (page.path !== "/" && pathname.startsWith(`${page.path}/`));
}

/** The page being read, in the other language: its own path and query, so the toggle never leaves the page. */
function otherLangHref(url: URL, lang: Lang): string {
  const query = new URLSearchParams(url.searchParams);
  query.set("lang", otherLang(lang));
  return `${url.pathname}?${query.toString()}`;
}

/**
 * The one navigation every console page draws at its top: a link to each registered page (what this
 * gateway runs) that the role may open, the current one marked, who is signed in and their role, the
 * language toggle that stays on this page, and sign-out. The pages check the role again themselves.
 */
export function consoleNav(pages: readonly ConsolePage[], viewer: NavViewer, lang: Lang, url: URL): string {
  const links = pages
    .filter((p) => p.permission === undefined || may(viewer.role, p.permission))
    .map((p) => `<a id="nav-${escapeHtml(p.key)}" class="nav-link" href="${escapeHtml(p.path)}"${isHere(p, url.pathname) ? ' aria-current="page"' : ""}>${escapeHtml(p.label[lang])}</a>`)
    .join("");
  const other = otherLang(lang);
  return `<header class="console-nav"><nav aria-label="${navUi.console[lang]}">${links}</nav>
<div class="who"><span class="user">${escapeHtml(viewer.displayName)}</span><span class="role">${escapeHtml(roleName(viewer.role, lang))}</span>
<a class="lang" id="lang" href="${escapeHtml(otherLangHref(url, lang))}" lang="${other === "zh" ? "zh-CN" : "en"}">${navUi.language[lang]}</a>
<form method="post" action="/logout"><button class="sign-out">${navUi.signOut[lang]}</button></form></div></header>`;
}

/** The navigation for whoever sent `req`, or undefined when nobody is signed in (the page then sends the sign-in form). */
export function navFor(core: Pick<Core, "pages" | "staff">, req: IncomingMessage, lang: Lang, url: URL): string | undefined {
  const displayName = core.staff.displayNameOf(req);
  const role = core.staff.roleOf(req);
  return displayName !== undefined && role !== undefined ? consoleNav(core.pages.list(), { displayName, role }, lang, url) : undefined;
}

/**
 * The navigation's own look, the same on the dark guard-room pages and the light staff pages: a dark
 * band. One row on a desk screen (sticky, so a guard scrolling the alerts keeps it); on a phone a grid
 * of links at least 44 px tall that wraps instead of scrolling sideways, and does not stick, so it
 * does not eat a small screen.
 */
export const navCss = `
.console-nav{display:flex;align-items:center;flex-wrap:wrap;gap:6px 16px;padding:6px 16px;background:#1b2631;color:#e8eef2;border-bottom:1px solid #2c3e50;position:sticky;top:0;z-index:5;font-size:14px;line-height:1.2}
.console-nav nav{display:flex;flex-wrap:wrap;gap:4px;min-width:0}
.console-nav .nav-link{display:inline-flex;align-items:center;justify-content:center;min-height:40px;padding:0 14px;border:1px solid #34495e;border-radius:6px;color:#c8d6e5;text-decoration:none;white-space:nowrap;font-size:15px}
.console-nav .nav-link:hover{background:#233140;color:#fff}
.console-nav .nav-link[aria-current="page"]{background:#2e86de;border-color:#2e86de;color:#fff}
.console-nav .who{margin-left:auto;display:flex;align-items:center;flex-wrap:wrap;gap:4px 10px;color:#9fb3c3;font-size:13px;min-width:0}
.console-nav .user{color:#e8eef2;overflow-wrap:anywhere}
.console-nav .role{padding:2px 8px;border-radius:10px;background:#34495e;color:#fff;font-size:12px;white-space:nowrap}
.console-nav form{margin:0}
.console-nav .lang,.console-nav .sign-out{display:inline-flex;align-items:center;min-height:40px;padding:0 4px;margin:0;border:0;background:none;color:#c8d6e5;font:inherit;font-size:13px;text-decoration:underline;cursor:pointer}
@media (max-width:720px){
  .console-nav{position:static;padding:6px 8px;gap:6px}
  .console-nav nav{order:2;width:100%;display:grid;grid-template-columns:repeat(auto-fill,minmax(80px,1fr))}
  .console-nav .nav-link{min-height:44px;padding:2px 4px;white-space:normal;text-align:center;overflow-wrap:anywhere;font-size:14px}
  .console-nav .who{order:1;margin-left:0;width:100%}
  .console-nav .lang,.console-nav .sign-out{min-height:44px;padding:0 8px}
  .console-nav form{margin-left:auto}
}
`;
