import { typeNames as alertTypeNames } from "../../alerts/rules/index.ts";
import { domHelperJs } from "../../console/dom-script.ts";
import { escapeHtml, jsonScript } from "../../console/html.ts";
import { staffCss } from "../../console/staff-css.ts";
import { inLang, type Lang, type Texts } from "../../i18n.ts";
import { may } from "../../staff/roles.ts";
import { eventNames, reasonNames, stateNames, typeNames } from "../strings.ts";
import type { Actor } from "../workflow.ts";

const ui = {
  title: { zh: "工单", en: "Work orders" },
  fromAlerts: { zh: "待转工单的告警", en: "Alerts to turn into work orders" },
  createFromAlert: { zh: "生成工单", en: "Create work order" },
  newOrder: { zh: "新建工单", en: "New work order" },
  type: { zh: "类型", en: "Type" },
  building: { zh: "楼栋", en: "Building" },
  device: { zh: "位置/设备", en: "Place or device" },
  description: { zh: "内容", en: "Description" },
  assignee: { zh: "处理人", en: "Assignee" },
  nobody: { zh: "暂不派单", en: "Not yet" },
  create: { zh: "创建", en: "Create" },
  none: { zh: "暂无工单：告警转成的工单和新建的工单会列在这里。", en: "No work orders yet: orders made from alerts or created here are listed here." },
  noAlerts: { zh: "没有待处理告警", en: "No open alerts" },
  due: { zh: "截止", en: "Due" },
  overdue: { zh: "已超时", en: "Overdue" },
  created: { zh: "创建", en: "Created" },
  place: { zh: "地点", en: "Place" },
  evidence: { zh: "证据", en: "Evidence" },
  photos: { zh: "现场照片", en: "Photos" },
  history: { zh: "处理记录", en: "History" },
  signatures: { zh: "签字", en: "Signatures" },
  assign: { zh: "派单", en: "Assign" },
  accept: { zh: "接单", en: "Accept" },
  start: { zh: "开始处理", en: "Start work" },
  upload: { zh: "上传照片", en: "Upload photo" },
  signHere: { zh: "请在框内签字", en: "Sign in the box" },
  clear: { zh: "重写", en: "Clear" },
  note: { zh: "备注", en: "Note" },
  done: { zh: "完工并签字", en: "Done: sign" },
  signOff: { zh: "验收并签字", en: "Sign off" },
  close: { zh: "关闭工单", en: "Close" },
  reason: { zh: "关闭原因", en: "Reason" },
  pdf: { zh: "导出 PDF", en: "Export PDF" },
  hold: { zh: "证据法律保全", en: "Legal hold on the evidence" },
  holdNote: { zh: "原因（案件编号、警方要求等）", en: "Reason (case number, police request)" },
  held: { zh: "已法律保全", en: "On legal hold" },
  release: { zh: "解除法律保全", en: "Release the legal hold" },
  releaseNote: { zh: "解除原因（法院或警方的解除文书）", en: "Reason (the court's or police's release)" },
  back: { zh: "返回工单列表", en: "Back to the list" },
  failed: { zh: "操作失败", en: "Failed" },
  noSignature: { zh: "请先签字", en: "Please sign first" },
  worker: { zh: "维修人", en: "Worker" },
  supervisor: { zh: "主管", en: "Supervisor" },
} satisfies Record<string, Texts>;

const pick = inLang;

/** The work orders' entry in the console's navigation. */
export const ordersLabel: Texts = ui.title;

/** The work order pages (list, and one order) under the console's navigation (`nav`): phone first, server-rendered frame, DOM-built content. */
export function ordersPage(lang: Lang, nav: string, timeZone: string, actor: Actor, view: "list" | "detail", id?: string): string {
  const role = actor.role === "system" ? "guard" : actor.role;
  const t = (k: keyof typeof ui) => escapeHtml(ui[k][lang]);
  const config = {
    lang,
    timeZone,
    view,
    id,
    user: actor.user,
    supervisor: may(role, "orders.all"),
    mayRelease: may(role, "legal_hold.release"),
    strings: pick(ui, lang),
    types: pick(typeNames, lang),
    states: pick(stateNames, lang),
    events: pick(eventNames, lang),
    reasons: pick(reasonNames, lang),
    alertTypes: pick(alertTypeNames, lang),
  };
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${view === "detail" && id ? escapeHtml(id) : t("title")}</title><style>${staffCss}${ordersCss}</style>
${jsonScript("orders-config", config)}
<script src="/orders.js" defer></script></head><body>
${nav}
<main>${view === "list" ? `<h1>${t("title")}</h1>
${config.supervisor ? `<section id="from-alerts"><h2>${t("fromAlerts")}</h2><div id="alerts"></div></section>
<details id="new-order" class="card"><summary>${t("newOrder")}</summary>
<label for="n-type">${t("type")}</label><select id="n-type">${Object.entries(config.types).map(([k, v]) => `<option value="${k}">${escapeHtml(v)}</option>`).join("")}</select>
<label for="n-building">${t("building")}</label><input id="n-building" maxlength="16">
<label for="n-device">${t("device")}</label><input id="n-device" maxlength="64">
<label for="n-description">${t("description")}</label><textarea id="n-description" rows="3" maxlength="1000"></textarea>
<label for="n-assignee">${t("assignee")}</label><select id="n-assignee" class="staff-select"></select>
<p><button id="n-create">${t("create")}</button></p></details>` : ""}
<section><div id="orders"></div><p id="empty" class="empty" hidden>${t("none")}</p></section>`
    : `<p><a href="/orders">← ${t("back")}</a></p><div id="order"></div>`}
<p id="error" class="error"></p></main></body></html>`;
}

/** What a role without work orders (a guard) gets at a work order page: a way back, not the page. */
export function forbiddenPage(lang: Lang, home: string): string {
  const text = lang === "zh" ? "您的账号角色无权查看工单。" : "Your account's role may not open work orders.";
  const back = lang === "zh" ? "返回" : "Back";
  return `<!doctype html><html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>403</title><style>${staffCss}</style></head>
<body><main><h1 id="forbidden">${escapeHtml(text)}</h1><p><a href="${escapeHtml(home)}">${back}</a></p></main></body></html>`;
}

const ordersCss = `
.order h3{margin:0 0 4px;font-size:16px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.state-open{background:#c0392b}.state-assigned{background:#d68910}.state-accepted{background:#2471a3}.state-in_progress{background:#2e86de}.state-done{background:#117a65}.state-signed_off{background:#1e8449}.state-closed{background:#7f8c8d}
.pictures{display:flex;gap:8px;flex-wrap:wrap}.pictures img{width:calc(50% - 4px);max-width:240px;border-radius:6px;background:#ddd}
canvas.pad{display:block;width:100%;height:160px;border:2px dashed #2e86de;border-radius:6px;background:#fff;touch-action:none}
ol.history{padding-left:20px;font-size:14px}ol.history li{margin:4px 0}
.hash{font-family:monospace;font-size:11px;color:#7f8c8d;word-break:break-all}
.sig img{max-width:100%;height:90px;border:1px solid #d5dbdb;border-radius:4px;background:#fff}
`;

/** The page script: no framework; DOM calls only (never innerHTML), so device text cannot inject markup. */
export const ordersJs = `
"use strict";
const CFG = JSON.parse(document.getElementById("orders-config").textContent);
const S = CFG.strings;
const zh = CFG.lang === "zh";
const fmt = new Intl.DateTimeFormat(zh ? "zh-CN" : "en-GB", { timeZone: CFG.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
const time = (ms) => (ms ? fmt.format(new Date(ms)) : "");
${domHelperJs}
const placeText = ${placeTextJs()};
let staff = [];
let names = {};
const nameOf = (u) => names[u] || (staff.find((s) => s.user === u) || {}).displayName || u || "-";

function fail(err) { document.getElementById("error").textContent = S.failed + ": " + err; }

async function call(body) {
  const res = await fetch("/api/orders/action", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status === 401) return location.reload();
  const out = await res.json();
  if (!res.ok) { fail(out.error || res.status); return undefined; }
  document.getElementById("error").textContent = "";
  return out.order;
}

function stateBadge(o) { return h("span", { className: "badge state state-" + o.state, "data-state": o.state }, CFG.states[o.state]); }

function orderCard(o) {
  const late = !["done", "signed_off", "closed"].includes(o.state) && o.dueAt < Date.now();
  return h("article", { className: "card order", "data-id": o.id },
    h("a", { href: "/orders/" + encodeURIComponent(o.id), className: "open-order" },
      h("h3", {}, CFG.types[o.type], stateBadge(o), late ? h("span", { className: "badge overdue" }, S.overdue) : null),
      h("p", { className: "place" }, placeText(o.place)),
      h("p", { className: "meta" }, o.description),
      h("p", { className: "meta" }, S.assignee + ": " + nameOf(o.assignee) + " · " + S.due + " " + time(o.dueAt) + " · " + o.id)));
}

async function loadList() {
  if (CFG.supervisor) {
    staff = (await (await fetch("/api/orders/staff")).json()).staff;
    const sel = document.getElementById("n-assignee");
    sel.replaceChildren(h("option", { value: "" }, S.nobody), ...staff.map((s) => h("option", { value: s.user }, s.displayName)));
    const { alerts } = await (await fetch("/api/orders/alerts")).json();
    document.getElementById("alerts").replaceChildren(...(alerts.length ? alerts.map((a) => h("div", { className: "card alert", "data-alert-id": a.id, "data-type": a.type },
      h("h3", {}, CFG.alertTypes[a.type] || a.type), h("p", { className: "place" }, placeText(a.place)), h("p", { className: "meta" }, a.summary + " · " + time(a.createdAt)),
      h("button", { className: "create-from-alert", onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        const o = await call({ action: "from-alert", alertId: a.id });
        if (o) location.href = "/orders/" + encodeURIComponent(o.id);
      } }, S.createFromAlert))) : [h("p", { className: "meta" }, S.noAlerts)]));
  }
  const { orders, names: people } = await (await fetch("/api/orders")).json();
  names = people;
  document.getElementById("orders").replaceChildren(...orders.map(orderCard));
  document.getElementById("empty").hidden = orders.length > 0;
}

/** A signature pad: finger or mouse, drawn with pointer events. */
function pad() {
  const canvas = h("canvas", { className: "pad", id: "signature" });
  let drawn = false;
  let last;
  const ctx = () => canvas.getContext("2d");
  const at = (ev) => { const r = canvas.getBoundingClientRect(); return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height]; };
  canvas.addEventListener("pointerdown", (ev) => { canvas.setPointerCapture(ev.pointerId); last = at(ev); });
  canvas.addEventListener("pointermove", (ev) => {
    if (!last) return;
    const p = at(ev);
    const c = ctx();
    c.lineWidth = 3; c.lineCap = "round"; c.strokeStyle = "#000";
    c.beginPath(); c.moveTo(last[0], last[1]); c.lineTo(p[0], p[1]); c.stroke();
    last = p; drawn = true;
  });
  canvas.addEventListener("pointerup", () => { last = undefined; });
  const box = h("div", { className: "sign" }, h("label", {}, S.signHere), canvas,
    h("p", {}, h("button", { className: "secondary clear-signature", type: "button", onclick: () => { ctx().clearRect(0, 0, canvas.width, canvas.height); drawn = false; } }, S.clear)));
  requestAnimationFrame(() => { canvas.width = canvas.clientWidth; canvas.height = canvas.clientHeight; });
  return { box, value: () => (drawn ? canvas.toDataURL("image/png") : undefined) };
}

function picture(o, evidenceId, cls) {
  return h("img", { className: cls, src: "/api/orders/evidence?id=" + encodeURIComponent(o.id) + "&evidence=" + encodeURIComponent(evidenceId), alt: cls });
}

function actions(o) {
  const out = [];
  const mine = o.assignee === CFG.user;
  const working = ["open", "assigned", "accepted", "in_progress"].includes(o.state);
  const act = (extra) => call({ id: o.id, version: o.version, ...extra }).then((x) => x && loadOne());
  if (CFG.supervisor && working) {
    const sel = h("select", { id: "assignee" }, staff.map((s) => h("option", { value: s.user, selected: s.user === o.assignee }, s.displayName)));
    out.push(h("div", { className: "card" }, h("label", { for: "assignee" }, S.assignee), h("div", { className: "row" }, sel, h("button", { id: "assign", onclick: () => act({ action: "assign", assignee: sel.value }) }, S.assign))));
  }
  if (mine && o.state === "assigned") out.push(h("p", {}, h("button", { id: "accept", className: "ok", onclick: () => act({ action: "accept" }) }, S.accept)));
  if (mine && o.state === "accepted") out.push(h("p", {}, h("button", { id: "start", onclick: () => act({ action: "start" }) }, S.start)));
  if ((mine || CFG.supervisor) && ["accepted", "in_progress"].includes(o.state)) {
    const file = h("input", { type: "file", id: "photo-file", accept: "image/*", capture: "environment" });
    out.push(h("div", { className: "card" }, h("label", { for: "photo-file" }, S.upload), file, h("p", {}, h("button", { id: "upload", className: "secondary", onclick: async () => {
      if (!file.files[0]) return;
      const form = new FormData();
      form.append("photo", file.files[0]);
      const res = await fetch("/api/orders/photo?id=" + encodeURIComponent(o.id) + "&version=" + o.version, { method: "POST", headers: { "x-linli-console": "1" }, body: form });
      if (!res.ok) return fail((await res.json()).error || res.status);
      loadOne();
    } }, S.upload))));
  }
  const signing = (label, id, action) => {
    const p = pad();
    const note = h("input", { id: "sign-note", placeholder: S.note, maxlength: 500 });
    out.push(h("div", { className: "card" }, p.box, note, h("p", {}, h("button", { id, className: "ok", onclick: () => {
      const signature = p.value();
      if (!signature) return fail(S.noSignature);
      act({ action, signature, note: note.value });
    } }, label))));
  };
  if (mine && o.state === "in_progress") signing(S.done, "done", "done");
  if (CFG.supervisor && !mine && o.state === "done") signing(S.signOff, "sign-off", "sign-off");
  if (CFG.supervisor && working) {
    const reason = h("select", { id: "close-reason" }, Object.entries(CFG.reasons).map(([k, v]) => h("option", { value: k }, v)));
    const note = h("input", { id: "close-note", placeholder: S.reason, maxlength: 500 });
    out.push(h("details", { className: "card" }, h("summary", {}, S.close), reason, note, h("p", {}, h("button", { id: "close", className: "danger", onclick: () => act({ action: "close", reason: reason.value, note: note.value }) }, S.close))));
  }
  if (CFG.supervisor && !o.legalHold) {
    const note = h("input", { id: "hold-note", placeholder: S.holdNote, maxlength: 500 });
    out.push(h("details", { className: "card" }, h("summary", {}, S.hold), note, h("p", {}, h("button", { id: "hold", className: "secondary", onclick: () => act({ action: "hold", note: note.value }) }, S.hold))));
  }
  if (CFG.mayRelease && o.legalHold) {
    const note = h("input", { id: "release-note", placeholder: S.releaseNote, maxlength: 500 });
    out.push(h("details", { className: "card" }, h("summary", {}, S.release), note, h("p", {}, h("button", { id: "release-hold", className: "danger", onclick: () => act({ action: "release-hold", note: note.value }) }, S.release))));
  }
  if (["done", "signed_off"].includes(o.state)) out.push(h("p", {}, h("a", { id: "pdf", href: "/api/orders/pdf?id=" + encodeURIComponent(o.id), download: o.id + ".pdf" }, S.pdf)));
  return out;
}

async function loadOne() {
  if (CFG.supervisor) staff = (await (await fetch("/api/orders/staff")).json()).staff;
  const res = await fetch("/api/orders/one?id=" + encodeURIComponent(CFG.id));
  if (!res.ok) return fail((await res.json()).error || res.status);
  const { order: o, history, names: people } = await res.json();
  names = people;
  const pics = o.evidence.filter((e) => e.id).map((e) => picture(o, e.id, "evidence"));
  document.getElementById("order").replaceChildren(h("article", { className: "order", "data-id": o.id, "data-version": o.version },
    h("h1", {}, CFG.types[o.type] + " " + o.id), h("p", {}, stateBadge(o), o.legalHold ? h("span", { className: "badge held", title: o.legalHold.note }, " " + S.held) : null),
    h("div", { className: "card" },
      h("p", { className: "place" }, S.place + ": " + placeText(o.place)),
      h("p", { className: "description" }, o.description),
      h("p", { className: "meta assignee" }, S.assignee + ": " + nameOf(o.assignee)),
      h("p", { className: "meta" }, S.created + " " + time(o.createdAt) + " · " + S.due + " " + time(o.dueAt))),
    pics.length ? h("section", {}, h("h2", {}, S.evidence), h("div", { className: "pictures" }, pics)) : null,
    o.photos.length ? h("section", {}, h("h2", {}, S.photos), h("div", { className: "pictures" }, o.photos.map((p) => picture(o, p.evidenceId, "photo")))) : null,
    o.signatures.length ? h("section", {}, h("h2", {}, S.signatures), o.signatures.map((s) => h("div", { className: "sig card", "data-as": s.as },
      h("p", {}, (s.as === "worker" ? S.worker : S.supervisor) + ": " + s.byName + " · " + time(s.at)),
      h("img", { className: "signature-img", src: "data:image/png;base64," + s.png, alt: s.byName }),
      h("p", { className: "hash" }, "sha256 " + s.contentSha256)))) : null,
    h("section", { id: "actions" }, actions(o)),
    h("h2", {}, S.history),
    h("ol", { className: "history" }, history.map((r) => h("li", { "data-event": r.event }, time(r.at) + " " + nameOf(r.by) + " " + CFG.events[r.event] + (r.data.note ? " · " + r.data.note : ""), h("div", { className: "hash" }, r.hash))))));
}

if (CFG.view === "list") {
  loadList().catch((e) => fail(e.message));
  const create = document.getElementById("n-create");
  if (create) create.addEventListener("click", async () => {
    const v = (id) => document.getElementById(id).value;
    const o = await call({ action: "create", type: v("n-type"), building: v("n-building"), device: v("n-device"), description: v("n-description"), assignee: v("n-assignee") });
    if (o) location.href = "/orders/" + encodeURIComponent(o.id);
  });
} else {
  loadOne().catch((e) => fail(e.message));
}
`;

/** The server's place wording (gateway/alerts/i18n.ts), as page-script source. */
function placeTextJs(): string {
  return `(p) => {
  const parts = [];
  if (p.building !== undefined) parts.push(zh ? p.building + "号楼" : "Building " + p.building);
  if (p.floor !== undefined) parts.push(zh ? p.floor + "层" : "floor " + p.floor);
  if (p.port !== undefined) parts.push(zh ? p.port + "号口" : "port " + p.port);
  const where = parts.join(zh ? " " : ", ");
  return where ? where + " · " + p.device : p.device;
}`;
}
