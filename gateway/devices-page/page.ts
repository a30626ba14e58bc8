import type { DeviceKind } from "../../devices/types.ts";
import { escapeHtml, jsonScript } from "../console/html.ts";
import type { Lang } from "../i18n.ts";
import { pageStrings, stateNames, ui } from "./strings.ts";

/**
 * The devices page's static frame, in the reader's language, under the console's navigation (`nav`):
 * the filters and an empty list that the script (script.ts) fills from `/api/devices`, with DOM calls only.
 */
export function devicesPage(lang: Lang, nav: string, timeZone: string, kinds: ReadonlyArray<Pick<DeviceKind, "kind" | "names">>): string {
  const t = (k: keyof typeof ui) => escapeHtml(ui[k][lang]);
  const kindOptions = kinds.map((k) => `<option value="${escapeHtml(k.kind)}">${escapeHtml(k.names[lang])}</option>`).join("");
  const stateButtons = (["all", "online", "offline", "unknown"] as const)
    .map((s) => `<button type="button" data-state="${s}" class="${s === "all" ? "active" : ""}" aria-pressed="${s === "all"}">${escapeHtml(s === "all" ? ui.all[lang] : stateNames[s][lang])}</button>`)
    .join("");
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("title")}</title>
<link rel="stylesheet" href="/devices.css">
${jsonScript("linli-config", { lang, timeZone, strings: pageStrings(lang) })}
<script src="/devices.js" defer></script>
</head><body>
${nav}
<main>
  <h1 class="page-title">${t("title")}</h1>
  <p id="summary" class="summary" aria-live="polite"></p>
  <div class="filters">
    <input id="search" type="search" placeholder="${t("search")}" aria-label="${t("search")}" autocomplete="off">
    <label class="kind">${t("kind")} <select id="kind"><option value="">${t("allKinds")}</option>${kindOptions}</select></label>
    <div id="state" class="segmented" role="group" aria-label="${t("state")}">${stateButtons}</div>
  </div>
  <div id="empty" class="empty" hidden><p id="empty-text"></p><button type="button" id="clear" hidden>${t("clearFilter")}</button></div>
  <ul id="devices" class="devices"></ul>
  <p id="updated" class="updated"></p>
</main>
</body></html>`;
}
