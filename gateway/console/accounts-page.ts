import type { Lang, Texts } from "../i18n.ts";
import { STAFF_ROLES } from "../staff/roles.ts";
import { domHelperJs } from "./dom-script.ts";
import { escapeHtml, jsonScript } from "./html.ts";
import { roleName } from "./nav.ts";
import { staffCss } from "./staff-css.ts";

const ui = {
  title: { zh: "控制台账号", en: "Console accounts" },
  user: { zh: "账号", en: "User" },
  name: { zh: "姓名", en: "Name" },
  role: { zh: "角色", en: "Role" },
  password: { zh: "初始密码（至少 8 位）", en: "Password (8 or more characters)" },
  add: { zh: "添加账号", en: "Add account" },
  remove: { zh: "删除", en: "Remove" },
  inConfig: { zh: "在 linli.yaml 中", en: "in linli.yaml" },
  failed: { zh: "操作失败", en: "Failed" },
} as const;

/** The accounts' entry in the console's navigation. */
export const accountsLabel: Texts = { zh: "账号", en: "Accounts" };

/** The administrator's accounts page under the console's navigation (`nav`): the list (roles changeable in place) and a form to add one. */
export function accountsPage(lang: Lang, nav: string): string {
  const t = (k: keyof typeof ui) => escapeHtml(ui[k][lang]);
  const roles = STAFF_ROLES.map((r) => ({ value: r, text: roleName(r, lang) }));
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("title")}</title><style>${staffCss}</style>
${jsonScript("accounts-config", { roles, strings: { remove: ui.remove[lang], inConfig: ui.inConfig[lang], failed: ui.failed[lang] } })}
<script src="/console/users.js" defer></script></head><body>
${nav}
<main><h1>${t("title")}</h1>
<table id="accounts"><thead><tr><th>${t("user")}</th><th>${t("name")}</th><th>${t("role")}</th><th></th></tr></thead><tbody></tbody></table>
<h2>${t("add")}</h2>
<form id="add" class="card">
<label for="new-user">${t("user")}</label><input id="new-user" required maxlength="64" autocomplete="off">
<label for="new-name">${t("name")}</label><input id="new-name" maxlength="64">
<label for="new-role">${t("role")}</label><select id="new-role">${roles.map((r) => `<option value="${r.value}">${escapeHtml(r.text)}</option>`).join("")}</select>
<label for="new-password">${t("password")}</label><input id="new-password" type="password" required minlength="8" autocomplete="new-password">
<p><button id="add-account">${t("add")}</button></p><p id="error" class="error"></p></form>
</main></body></html>`;
}

export const accountsJs = `
"use strict";
const CFG = JSON.parse(document.getElementById("accounts-config").textContent);
${domHelperJs}
async function send(body) {
  const res = await fetch("/api/console/users", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) { document.getElementById("error").textContent = CFG.strings.failed + ": " + (await res.json()).error; return false; }
  document.getElementById("error").textContent = "";
  await load();
  return true;
}
async function load() {
  const { accounts } = await (await fetch("/api/console/users")).json();
  document.querySelector("#accounts tbody").replaceChildren(...accounts.map((a) => {
    const role = h("select", { className: "role", disabled: a.inConfig, onchange: (ev) => send({ action: "set-role", user: a.user, role: ev.currentTarget.value }) },
      CFG.roles.map((r) => h("option", { value: r.value, selected: r.value === a.role }, r.text)));
    return h("tr", { "data-user": a.user }, h("td", {}, a.user), h("td", {}, a.displayName), h("td", {}, role),
      h("td", {}, a.inConfig ? CFG.strings.inConfig : h("button", { className: "danger remove", onclick: () => send({ action: "remove", user: a.user }) }, CFG.strings.remove)));
  }));
}
document.getElementById("add").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const v = (id) => document.getElementById(id).value;
  if (await send({ action: "add", user: v("new-user"), displayName: v("new-name"), role: v("new-role"), password: v("new-password") })) ev.target.reset();
});
load();
`;
