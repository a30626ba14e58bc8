import { escapeHtml, jsonScript } from "../../console/html.ts";
import type { Lang } from "../../i18n.ts";
import type { StaffRole } from "../../staff/desk.ts";
import { classNames, pageStrings, ui } from "./strings.ts";

/**
 * The labelling page's markup: the static frame of it, in the reader's language, under the console's
 * navigation (`nav`). The script
 * (script.ts) fills in the queue, the frame and the models from the JSON API, with DOM calls only.
 * The models section is in the markup for an administrator only (the API refuses a guard anyway).
 */
export function labellingPage(lang: Lang, nav: string, user: string, role: StaffRole, timeZone: string): string {
  const t = (k: keyof typeof ui) => escapeHtml(ui[k][lang]);
  const admin = role === "administrator";
  const classButtons = Object.entries(classNames)
    .map(([cls, name], i) => `<button type="button" class="cls cls-${cls}" data-cls="${cls}"><kbd>${i + 1}</kbd> ${escapeHtml(name[lang])}</button>`)
    .join("");
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("title")}</title>
<link rel="stylesheet" href="/learning.css">
${jsonScript("linli-config", { lang, timeZone, user, role, strings: pageStrings(lang) })}
<script src="/learning.js" defer></script>
</head><body>
${nav}
<main>
  <h1 class="page-title">${t("title")}</h1>
  <p id="progress" class="progress" aria-live="polite"></p>
  <div class="layout">
    <section id="editor" class="editor">
      <div id="frame-info" class="frame-info"></div>
      <div class="stage"><canvas id="canvas" width="640" height="480"></canvas><p id="stage-empty" class="stage-empty" hidden></p></div>
      <div id="class-bar" class="class-bar" role="group" aria-label="${t("classes")}">${classButtons}</div>
      <div class="tools">
        <button type="button" id="accept">${t("accept")} <kbd>A</kbd></button>
        <button type="button" id="delete-box">${t("deleteBox")} <kbd>Del</kbd></button>
        <button type="button" id="no-ebike" class="primary warn">${t("noEbike")} <kbd>N</kbd></button>
        <button type="button" id="save" class="primary">${t("save")} <kbd>S</kbd></button>
        <button type="button" id="prev">${t("previous")} <kbd>K</kbd></button>
        <button type="button" id="next">${t("next")} <kbd>J</kbd></button>
        ${admin ? `<button type="button" id="delete-frame" class="danger">${t("deleteFrame")}</button>` : ""}
      </div>
      <p id="status" class="status" role="status"></p>
      <ul id="box-list" class="box-list"></ul>
      <details class="legend" id="legend" open><summary>${t("shortcuts")}</summary>
        <dl>
          <dt>${t("keyPointer")}</dt><dd>${t("keyDraw")}</dd>
          <dt><kbd>1</kbd>–<kbd>6</kbd></dt><dd>${t("keyClasses")}</dd>
          <dt><kbd>Del</kbd> <kbd>⌫</kbd></dt><dd>${t("keyDelete")}</dd>
          <dt><kbd>A</kbd></dt><dd>${t("keyAccept")}</dd>
          <dt><kbd>N</kbd></dt><dd>${t("keyNoEbike")}</dd>
          <dt><kbd>S</kbd> <kbd>Enter</kbd></dt><dd>${t("keySave")}</dd>
          <dt><kbd>←</kbd> <kbd>→</kbd> <kbd>K</kbd> <kbd>J</kbd></dt><dd>${t("keyMove")}</dd>
          <dt><kbd>Esc</kbd></dt><dd>${t("keyEscape")}</dd>
        </dl>
      </details>
    </section>
    <aside class="queue">
      <h2>${t("queue")} <span id="waiting" class="waiting"></span></h2>
      <div class="filters">
        <div class="segmented" role="group" aria-label="${t("order")}"><button type="button" id="order-newest" class="active" data-order="newest">${t("newest")}</button><button type="button" id="order-uncertain" data-order="uncertain">${t("uncertain")}</button></div>
        <label>${t("stateFilter")} <select id="state-filter"><option value="unlabelled">${t("unlabelled")}</option><option value="labelled">${t("labelled")}</option><option value="all">${t("all")}</option></select></label>
        <label>${t("liftFilter")} <select id="lift-filter"><option value="">${t("allLifts")}</option></select></label>
      </div>
      <p id="queue-empty" class="empty" hidden>${t("empty")}</p>
      <ol id="frames" class="frames"></ol>
    </aside>
  </div>
  ${
    admin
      ? `<section id="models" class="models">
    <h2>${t("models")}</h2>
    <dl class="model-state"><dt>${t("active")}</dt><dd id="model-active">…</dd><dt>${t("shadow")}</dt><dd id="model-shadow">…</dd><dt>${t("previousModels")}</dt><dd id="model-previous">…</dd></dl>
    <div class="promote"><label>${t("pickModel")} <select id="candidate"></select></label><button type="button" id="promote" class="primary">${t("promote")}</button><button type="button" id="rollback" class="danger">${t("rollback")}</button></div>
    <div id="promote-result" class="promote-result" aria-live="polite"></div>
    <h3>${t("promotions")}</h3>
    <div id="promotions" class="promotions"></div>
  </section>`
      : ""
  }
</main>
</body></html>`;
}
