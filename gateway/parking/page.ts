import { escapeHtml, jsonScript } from "../console/html.ts";
import type { Lang } from "../i18n.ts";
import { listNames, pageStrings, ui } from "./strings.ts";

/**
 * The parking page's static frame, in the reader's language, under the console's navigation (`nav`): empty sections that the script
 * (script.ts) fills from `/api/parking`. The list form is only sent to an administrator; the
 * server checks the role again on every change.
 */
export function parkingPage(lang: Lang, nav: string, timeZone: string, may: { admin: boolean; count: boolean }): string {
  const t = (k: keyof typeof ui) => escapeHtml(ui[k][lang]);
  const listOptions = (["resident", "visitor", "deny"] as const).map((l) => `<option value="${l}">${escapeHtml(listNames[l][lang])}</option>`).join("");
  const lists = may.admin
    ? `<section id="lists-section"><h2>${t("lists")}</h2><p class="note">${t("listsNote")}</p>
  <form id="plate-form" class="row">
    <label>${t("plateLabel")} <input id="plate" required maxlength="16" autocomplete="off" placeholder="沪A12345"></label>
    <label>${t("listLabel")} <select id="list">${listOptions}</select></label>
    <label>${t("labelLabel")} <input id="label" maxlength="64" autocomplete="off"></label>
    <label>${t("validLabel")} <input id="valid" type="number" min="1" step="1" inputmode="numeric"></label>
    <button type="submit">${t("add")}</button>
  </form>
  <p id="plate-status" class="status" aria-live="polite"></p>
  <ul id="plates" class="rows"></ul></section>`
    : "";
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("title")}</title>
<link rel="stylesheet" href="/parking.css">
${jsonScript("linli-config", { lang, timeZone, strings: pageStrings(lang), may })}
<script src="/parking.js" defer></script>
</head><body>
${nav}
<main>
  <h1 class="page-title">${t("title")}</h1>
  <section><h2>${t("occupancy")}</h2>
  <p id="no-parks" class="empty" hidden>${t("noCarParks")}</p>
  <ul id="parks" class="parks"></ul>
  <p id="count-status" class="status" aria-live="polite"></p></section>
  <section><h2 id="overstaying-title"></h2><ul id="overstaying" class="rows"></ul></section>
  <section><h2 id="never-left-title"></h2><ul id="never-left" class="rows"></ul></section>
  ${lists}
  <p id="updated" class="updated"></p>
</main>
</body></html>`;
}
