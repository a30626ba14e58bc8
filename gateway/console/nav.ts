import type { Lang, Texts } from "../i18n.ts";
import { may } from "../staff/roles.ts";
import type { StaffRole } from "../staff/roles.ts";
import { escapeHtml, otherLang } from "./html.ts";

const navUi = {
  alerts: { zh: "告警", en: "Alerts" },
  orders: { zh: "工单", en: "Work orders" },
  accounts: { zh: "账号", en: "Accounts" },
  signOut: { zh: "退出", en: "Sign out" },
  language: { zh: "English", en: "中文" },
  guard: { zh: "保安", en: "Guard" },
  technician: { zh: "维修工", en: "Technician" },
  supervisor: { zh: "主管", en: "Supervisor" },
  administrator: { zh: "管理员", en: "Administrator" },
} satisfies Record<string, Texts>;

export const roleName = (role: StaffRole, lang: Lang): string => navUi[role][lang];

/**
 * The header of the console's staff pages (work orders, accounts): links to only what the role may
 * open, who is signed in, the language toggle and sign-out.
 */
export function staffHeader(lang: Lang, user: string, role: StaffRole, here: string): string {
  const links = [
    may(role, "alerts") ? { href: "/", id: "nav-alerts", text: navUi.alerts[lang] } : undefined,
    may(role, "orders.own") ? { href: "/orders", id: "nav-orders", text: navUi.orders[lang] } : undefined,
    may(role, "accounts") ? { href: "/console/users", id: "nav-accounts", text: navUi.accounts[lang] } : undefined,
  ].filter((l) => l !== undefined);
  return `<header class="staff"><nav>${links.map((l) => `<a id="${l.id}" class="tab${l.href === here ? " active" : ""}" href="${l.href}">${escapeHtml(l.text)}</a>`).join("")}</nav>
<div class="who"><span class="user">${escapeHtml(user)}</span> <span class="role">${escapeHtml(roleName(role, lang))}</span>
<a class="lang" href="?lang=${otherLang(lang)}">${navUi.language[lang]}</a>
<form method="post" action="/logout"><button class="link">${navUi.signOut[lang]}</button></form></div></header>`;
}

/** The staff pages' style: phone first (a technician's 360 px screen), wider on a desk. */
export const staffCss = `
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;background:#f4f6f8;color:#1c2833;font-size:16px}
header.staff{display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding:8px 10px;background:#1b2631;color:#e8eef2}
header.staff nav{display:flex;gap:6px;flex-wrap:wrap}
.tab{color:#c8d6e5;padding:8px 12px;border:1px solid #34495e;border-radius:6px;text-decoration:none;font-size:15px}
.tab.active{background:#2e86de;border-color:#2e86de;color:#fff}
.who{margin-left:auto;display:flex;align-items:center;gap:8px;font-size:13px;flex-wrap:wrap}
.who form{margin:0}.link{background:none;border:0;color:#c8d6e5;text-decoration:underline;font-size:13px;padding:8px 0}
.lang{color:#c8d6e5}
main{padding:10px;max-width:900px;margin:0 auto}
h1{font-size:20px;margin:8px 0 12px}
h2{font-size:17px;margin:16px 0 8px}
.card{background:#fff;border-radius:8px;padding:12px;margin-bottom:10px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card a{color:inherit;text-decoration:none}
label{display:block;font-size:14px;margin:8px 0 4px;color:#566573}
input,select,textarea{width:100%;font-size:16px;padding:10px;border:1px solid #aab7b8;border-radius:6px;background:#fff}
button{font-size:16px;padding:12px 14px;border:0;border-radius:6px;background:#2e86de;color:#fff;cursor:pointer;min-height:44px}
button.secondary{background:#7f8c8d}button.danger{background:#c0392b}button.ok{background:#1e8449}
.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
.row>*{flex:1 1 140px}
.badge{display:inline-block;font-size:12px;padding:2px 8px;border-radius:10px;background:#34495e;color:#fff}
.meta{font-size:13px;color:#566573;margin:4px 0}
.overdue{background:#c0392b}
.error{color:#c0392b}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #d5dbdb;vertical-align:top;word-break:break-word}
img{max-width:100%}
`;
