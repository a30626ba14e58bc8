import { domHelperJs } from "../../console/dom-script.ts";
import { escapeHtml, jsonScript } from "../../console/html.ts";
import { navCss } from "../../console/nav.ts";
import type { Lang } from "../../i18n.ts";
import { pageStrings, ui } from "./strings.ts";

/** The alerts console: the page, its style and its script. Long because it is one page's markup, not logic. */
/** What the page offers beyond the guard room's own work. */
export interface ConsoleLinks {
  /** work orders (gateway/orders) run and the account may assign them: turns on the cards' 转工单 button */
  orders: boolean;
}

/** The page under the console's navigation (`nav`): the open alerts, history and channels as views of one page. */
export function consolePage(lang: Lang, nav: string, user: string, timeZone: string, links: ConsoleLinks): string {
  const { orders } = links;
  const t = (k: keyof typeof ui) => escapeHtml(ui[k][lang]);
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("title")}</title>
<link rel="stylesheet" href="/console.css">
${jsonScript("linli-config", { lang, timeZone, user, orders, strings: pageStrings(lang) })}
<script src="/console.js" defer></script>
</head><body>
${nav}
<main>
  <div class="page-bar"><h1>${t("title")}</h1>
  <div class="views"><button id="tab-open" class="tab active">${t("open")} <span id="open-count">0</span></button><button id="tab-history" class="tab">${t("history")}</button><button id="tab-channels" class="tab">${t("channels")}</button></div>
  <span id="conn" class="conn">…</span></div>
  <section id="open-view"><p id="empty" class="empty">${t("none")}</p><div id="alerts"></div></section>
  <section id="history-view" hidden>
    <table id="history"><thead><tr><th>${t("time")}</th><th>${t("type")}</th><th>${t("place")}</th><th>${t("severity")}</th><th>${t("count")}</th><th>${t("state")}</th><th>${t("handling")}</th></tr></thead><tbody></tbody></table>
    <button id="more" class="more">${t("more")}</button>
  </section>
  <section id="channels-view" hidden>
    <h2>${t("channels")}</h2>
    <p id="no-channels" class="empty" hidden>${t("noChannels")}</p>
    <table id="channels"><thead><tr><th>${t("channel")}</th><th>${t("perMinute")}</th><th>${t("sent")}</th><th>${t("digested")}</th><th>${t("queued")}</th><th>${t("failedCount")}</th><th>${t("health")}</th><th>${t("lastError")}</th></tr></thead><tbody></tbody></table>
    <h2>${t("mutes")}</h2>
    <p id="no-mutes" class="empty">${t("noMutes")}</p>
    <table id="mutes"><thead><tr><th>${t("device")}</th><th>${t("until")}</th><th>${t("mutedBy")}</th><th>${t("muteNote")}</th><th></th></tr></thead><tbody></tbody></table>
  </section>
</main>
</body></html>`;
}

export const consoleCss = `
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;background:#101820;color:#e8eef2}
${navCss}
.page-bar{display:flex;align-items:center;flex-wrap:wrap;gap:10px 20px;margin-bottom:14px}
.page-bar h1{font-size:18px;margin:0}
.views{display:flex;flex-wrap:wrap;gap:6px}
.tab{background:none;border:1px solid #34495e;color:#c8d6e5;padding:6px 14px;border-radius:6px;cursor:pointer;font-size:14px;min-height:40px}
.tab.active{background:#2e86de;border-color:#2e86de;color:#fff}
#open-count{display:inline-block;min-width:20px;padding:0 6px;border-radius:10px;background:#c0392b;color:#fff;font-size:12px}
.conn{margin-left:auto;padding:2px 8px;border-radius:10px;background:#34495e;font-size:13px;color:#9fb3c3}.conn.live{background:#1e8449;color:#fff}.conn.down{background:#922b21;color:#fff}
main{padding:14px 20px}
.empty{color:#7f8c8d;font-size:15px}
#empty{background:#1b2631;border-radius:8px;padding:28px 20px;text-align:center;color:#58d68d;font-size:18px}
#alerts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}
.alert{display:flex;gap:14px;background:#1b2631;border-radius:8px;padding:14px;border-left:8px solid #7f8c8d}
.alert.sev-critical{border-left-color:#e74c3c;background:#2a1a1d}
.alert.sev-warning{border-left-color:#f39c12;background:#2a241a}
.alert.sev-info{border-left-color:#3498db}
.alert.state-acknowledged{opacity:.85}
.alert .body{flex:1;min-width:0}
.alert h2{font-size:17px;margin:0 0 6px;display:flex;align-items:center;gap:8px;flex-wrap:wrap}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;background:#34495e;color:#fff;font-weight:normal}
.badge.sev-critical{background:#e74c3c}.badge.sev-warning{background:#f39c12;color:#111}.badge.sev-info{background:#3498db}
.badge.state-open{background:#c0392b}.badge.state-acknowledged{background:#2471a3}.badge.state-resolved{background:#1e8449}
.badge.count{background:#ecf0f1;color:#111}
.place{font-size:15px;color:#fff;margin:4px 0}
.meta{font-size:13px;color:#9fb3c3;margin:2px 0}
.summary{font-size:13px;color:#c8d6e5;margin:4px 0}
.snap{width:200px;flex:none}
.snap img{width:200px;height:150px;object-fit:cover;border-radius:6px;background:#0f1a24;display:block}
.snap .missing{width:200px;height:150px;border-radius:6px;background:#0f1a24;color:#7f8c8d;font-size:12px;display:flex;align-items:center;justify-content:center;text-align:center;padding:8px}
.snap .hash{font-size:10px;color:#7f8c8d;word-break:break-all;margin-top:3px;font-family:monospace}
.actions{display:flex;gap:6px;margin-top:10px}
.actions input{flex:1;min-width:0;padding:6px 8px;border-radius:5px;border:1px solid #34495e;background:#0f1a24;color:#fff}
.actions button{padding:6px 12px;border:0;border-radius:5px;cursor:pointer;font-size:14px;color:#fff}
.ack{background:#2e86de}.resolve{background:#1e8449}
.release-ebike{background:#c0392b}.release-false{background:#7f8c8d}
.port-off{background:#c0392b}.port-on{background:#7f8c8d}
table{width:100%;border-collapse:collapse;font-size:13px}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #2c3e50;vertical-align:top}
th{color:#9fb3c3;font-weight:normal}
tr.sev-critical td:first-child{border-left:4px solid #e74c3c}tr.sev-warning td:first-child{border-left:4px solid #f39c12}tr.sev-info td:first-child{border-left:4px solid #3498db}
@media (max-width:700px){.tab{white-space:nowrap;padding:6px 10px;min-height:44px}main{padding:10px}#alerts{grid-template-columns:1fr}.alert{flex-direction:column}.snap,.snap img,.snap .missing{width:100%}.actions{flex-wrap:wrap}}
#channels-view h2{font-size:16px;margin:18px 0 8px}
td.failing{color:#e74c3c;font-weight:bold}td.healthy{color:#2ecc71}
.mute{background:#7f8c8d}.badge.muted{background:#7f8c8d}
.legal-hold{background:#6c3483}.badge.held{background:#6c3483}
a.package-download{display:inline-block;background:#6c3483;color:#fff;padding:6px 12px;border-radius:5px;font-size:14px;text-decoration:none}
td .actions{margin-top:6px}td .actions input{min-width:120px}td .badge.held{display:inline-block;white-space:nowrap;margin-bottom:4px}
.unmute{background:#34495e;border:0;color:#fff;padding:5px 12px;border-radius:5px;cursor:pointer}
.actions select{padding:5px;border-radius:5px;border:1px solid #34495e;background:#0f1a24;color:#fff}
.more{margin-top:12px;background:#34495e;border:0;color:#fff;padding:7px 16px;border-radius:6px;cursor:pointer}
`;

/** The page script: no framework, no build step. It renders with DOM calls (never innerHTML) so device text cannot inject markup. */
export const consoleJs = `
"use strict";
const CFG = JSON.parse(document.getElementById("linli-config").textContent);
const S = CFG.strings;
const alerts = new Map();
const fmt = new Intl.DateTimeFormat(CFG.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: CFG.timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const time = (ms) => (ms ? fmt.format(new Date(ms)) : "");

${domHelperJs}

function placeText(p) {
  const parts = [];
  if (p.building !== undefined) parts.push(CFG.lang === "zh" ? p.building + "号楼" : "Building " + p.building);
  if (p.floor !== undefined) parts.push(CFG.lang === "zh" ? p.floor + "层" : "floor " + p.floor);
  if (p.port !== undefined) parts.push(CFG.lang === "zh" ? p.port + "号口" : "port " + p.port);
  const where = parts.join(CFG.lang === "zh" ? " " : ", ");
  return where ? where + " · " + p.device : p.device;
}

function evidenceSrc(e) {
  if (e.id) return "/evidence/" + encodeURIComponent(e.id);
  return undefined;
}

function snapshotBox(a) {
  const e = a.evidence.find((x) => x.role === "snapshot") || a.evidence.find((x) => x.role === "frame");
  if (!e) return null;
  const src = evidenceSrc(e);
  const clip = a.evidence.find((x) => x.role === "clip");
  return h("div", { className: "snap" },
    src ? h("a", { href: src, target: "_blank" }, h("img", { src, alt: S.ui.snapshot, className: "snapshot", "data-sha256": e.sha256 }))
        : h("div", { className: "missing" }, e.verified === false ? S.ui.unverified : S.ui.noSnapshot),
    h("div", { className: "hash", title: "SHA-256" }, "sha256:" + e.sha256.slice(0, 16) + "…"),
    clip ? h("div", { className: "hash" }, clip.id ? h("a", { href: evidenceSrc(clip), target: "_blank" }, S.ui.clip) : S.ui.clip + " sha256:" + clip.sha256.slice(0, 12) + "…") : null);
}

async function act(kind, id, note, button) {
  button.disabled = true;
  try {
    const res = await fetch("/api/alerts/" + kind, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id, note }) });
    if (res.status === 401) return location.reload();
    if (!res.ok) throw new Error((await res.json()).error || res.status);
    const body = await res.json();
    upsert(body.alert);
    return body.alert;
  } catch (err) {
    alert(S.ui.failed + ": " + err.message);
  } finally {
    button.disabled = false;
  }
}

/** Releases the hold behind a lift_hold alert with staff's answer, which labels the hold's frames for site learning. */
async function release(a, verdict, button) {
  button.disabled = true;
  try {
    const res = await fetch("/api/lifts/" + encodeURIComponent(a.place.device) + "/release", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ verdict, holdId: a.details.holdId }) });
    if (res.status === 401) return location.reload();
    const body = await res.json();
    if (!res.ok || !body.ok) throw new Error(body.error || res.status);
    button.closest("article").querySelector(".summary").textContent = body.result;
  } catch (err) {
    alert(S.ui.failed + ": " + err.message);
  } finally {
    button.disabled = false;
  }
}

function holdButtons(a) {
  if (a.type !== "lift_hold" || !a.details || typeof a.details.holdId !== "string") return null;
  return h("div", { className: "actions hold" },
    h("button", { className: "release-ebike", onclick: (ev) => release(a, "ebike", ev.currentTarget) }, S.ui.releaseEbike),
    h("button", { className: "release-false", onclick: (ev) => release(a, "no_ebike", ev.currentTarget) }, S.ui.releaseFalse));
}

/** Switches the port behind a charger alert off or on (gateway/chargers); the charger's ack, or an alert that none came, follows. */
async function portCommand(a, action, button) {
  button.disabled = true;
  try {
    const res = await fetch("/api/chargers/" + encodeURIComponent(a.place.device) + "/ports/" + a.place.port + "/" + action, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    if (res.status === 401) return location.reload();
    const body = await res.json();
    if (!res.ok || !body.ok) throw new Error(body.error || res.status);
    button.closest("article").querySelector(".summary").textContent = action === "off" ? S.ui.portOffSent : S.ui.portOnSent;
  } catch (err) {
    alert(S.ui.failed + ": " + err.message);
  } finally {
    button.disabled = false;
  }
}

/** Turns the alert into a work order (gateway/orders) and opens it, for whoever may assign orders. */
async function toOrder(a, button) {
  button.disabled = true;
  try {
    const res = await fetch("/api/orders/action", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action: "from-alert", alertId: a.id }) });
    if (res.status === 401) return location.reload();
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.status);
    location.href = "/orders/" + encodeURIComponent(body.order.id);
  } catch (err) {
    alert(S.ui.failed + ": " + err.message);
    button.disabled = false;
  }
}

function orderButton(a) {
  if (!CFG.orders || a.state === "resolved") return null;
  return h("div", { className: "actions order" }, h("button", { className: "to-order", onclick: (ev) => toOrder(a, ev.currentTarget) }, S.ui.toOrder));
}

/** Puts the alert's evidence on legal hold, the note as its reason; for supervisors and administrators (the server checks too). */
function legalHoldButton(a, note) {
  if (!a.mayHold || a.hold) return null;
  return h("div", { className: "actions legal" }, h("button", { className: "legal-hold", title: S.ui.holdReason,
    onclick: (ev) => note.value.trim() ? act("hold", a.id, note.value, ev.currentTarget) : (note.focus(), alert(S.ui.holdReason)) }, S.ui.legalHold));
}

/** A held alert's evidence package as one .tar file (what \`linli alerts package\` writes), for whoever may hold. */
function packageLink(a) {
  if (!a.mayHold || !a.hold) return null;
  return h("div", { className: "actions package" }, h("a", { className: "package-download", href: "/api/alerts/package.tar?id=" + encodeURIComponent(a.id), download: "linli-" + a.id + ".tar" }, S.ui.downloadPackage));
}

function heldBadge(a) {
  return a.hold ? h("span", { className: "badge held", title: a.hold.by + " · " + time(a.hold.at) + " · " + a.hold.reason }, S.ui.held) : null;
}

function portButtons(a) {
  if (a.place.kind !== "charger" || typeof a.place.port !== "number") return null;
  return h("div", { className: "actions port" },
    h("button", { className: "port-off", onclick: (ev) => portCommand(a, "off", ev.currentTarget) }, S.ui.portOff),
    h("button", { className: "port-on", onclick: (ev) => portCommand(a, "on", ev.currentTarget) }, S.ui.portOn));
}

/** Mutes the alert's device for the chosen hours: its alerts still come here, only the chat groups are not told. */
function muteControl(a) {
  const hours = h("select", { className: "mute-hours" }, [1, 8, 24].map((n) => h("option", { value: String(n) }, n + " " + S.ui.hours)));
  return h("div", { className: "actions mute-box" }, hours,
    h("button", { className: "mute", onclick: (ev) => post("mute", { device: a.place.device, minutes: Number(hours.value) * 60 }, ev.currentTarget).then((ok) => { if (ok) { a.muted = true; upsert(a); } }) }, S.ui.mute));
}

/** Posts to the notification API; true when it was done. */
async function post(kind, body, button) {
  button.disabled = true;
  try {
    const res = await fetch("/api/alerts/" + kind, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.status === 401) { location.reload(); return false; }
    if (!res.ok) throw new Error((await res.json()).error || res.status);
    return true;
  } catch (err) {
    alert(S.ui.failed + ": " + err.message);
    return false;
  } finally {
    button.disabled = false;
  }
}

async function loadChannels() {
  const [ch, mu] = await Promise.all([fetch("/api/alerts/channels"), fetch("/api/alerts/mutes")]);
  if (ch.status === 401 || mu.status === 401) return location.reload();
  const { channels } = await ch.json();
  const { mutes } = await mu.json();
  document.getElementById("no-channels").hidden = channels.length > 0;
  document.querySelector("#channels tbody").replaceChildren(...channels.map((c) => h("tr", { "data-channel": c.name },
    h("td", {}, c.name + " (" + c.type + ")"), h("td", {}, String(c.perMinute)), h("td", { className: "sent" }, String(c.sent)),
    h("td", { className: "digested" }, String(c.digested)), h("td", { className: "queued" }, String(c.queued)), h("td", { className: "failed" }, String(c.failed)),
    h("td", { className: c.failing ? "failing" : "healthy" }, c.failing ? S.ui.failing : S.ui.healthy),
    h("td", {}, c.lastError ? time(c.lastErrorAt) + " " + c.lastError : ""))));
  document.getElementById("no-mutes").hidden = mutes.length > 0;
  document.querySelector("#mutes tbody").replaceChildren(...mutes.map((m) => h("tr", { "data-device": m.device },
    h("td", {}, m.device), h("td", {}, time(m.until)), h("td", {}, m.by + " · " + time(m.at)), h("td", {}, m.note),
    h("td", {}, h("button", { className: "unmute", onclick: (ev) => post("unmute", { device: m.device }, ev.currentTarget).then(() => loadChannels()) }, S.ui.unmute)))));
}

function card(a) {
  const note = h("input", { placeholder: S.ui.note, className: "note", maxlength: 500 });
  const handled = [];
  if (a.acknowledgedBy) handled.push(h("p", { className: "meta handled" }, S.ui.ackedBy + ": " + a.acknowledgedBy + " · " + time(a.acknowledgedAt) + (a.ackNote ? " · " + a.ackNote : "")));
  if (a.escalatedAt) handled.push(h("p", { className: "meta" }, S.ui.escalated + " · " + time(a.escalatedAt)));
  return h("article", { className: "alert sev-" + a.severity + " state-" + a.state, "data-id": a.id, "data-type": a.type },
    h("div", { className: "body" },
      h("h2", {}, S.types[a.type] || a.type,
        h("span", { className: "badge sev-" + a.severity }, S.severities[a.severity]),
        h("span", { className: "badge state-" + a.state }, S.states[a.state]),
        h("span", { className: "badge count", title: S.ui.count }, "×" + a.count),
        a.muted ? h("span", { className: "badge muted" }, S.ui.muted) : null,
        heldBadge(a)),
      h("p", { className: "place" }, placeText(a.place)),
      h("p", { className: "meta time" }, S.ui.first + " " + time(a.createdAt) + (a.count > 1 ? " · " + S.ui.last + " " + time(a.lastAt) : "")),
      h("p", { className: "summary" }, a.text || a.summary),
      handled,
      h("div", { className: "actions" }, note,
        a.state === "open" ? h("button", { className: "ack", onclick: (ev) => act("ack", a.id, note.value, ev.currentTarget) }, S.ui.acknowledge) : null,
        h("button", { className: "resolve", onclick: (ev) => act("resolve", a.id, note.value, ev.currentTarget) }, S.ui.resolve)),
      holdButtons(a),
      portButtons(a),
      orderButton(a),
      legalHoldButton(a, note),
      packageLink(a),
      a.muted ? null : muteControl(a)),
    snapshotBox(a));
}

function render() {
  const list = [...alerts.values()].sort((x, y) => y.lastAt - x.lastAt || (y.id > x.id ? 1 : -1));
  const box = document.getElementById("alerts");
  // keep what a guard is typing in a note across re-renders
  const notes = new Map([...box.querySelectorAll("article")].map((el) => [el.dataset.id, el.querySelector(".note").value]));
  box.replaceChildren(...list.map((a) => {
    const el = card(a);
    const n = notes.get(a.id);
    if (n) el.querySelector(".note").value = n;
    return el;
  }));
  document.getElementById("empty").hidden = list.length > 0;
  document.getElementById("open-count").textContent = String(list.length);
  document.title = (list.length ? "(" + list.length + ") " : "") + S.ui.title;
}

function upsert(a) {
  if (a.state === "resolved") alerts.delete(a.id);
  else alerts.set(a.id, a);
  render();
}

/** A short two-tone chime for a new critical alert (browsers may keep it silent until the page was clicked once). */
let audio;
function beep() {
  try {
    audio = audio || new AudioContext();
    [0, 0.25].forEach((at, i) => {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = i ? 660 : 880;
      g.gain.value = 0.15;
      o.connect(g).connect(audio.destination);
      o.start(audio.currentTime + at);
      o.stop(audio.currentTime + at + 0.2);
    });
  } catch {
    // no sound on this browser
  }
}

function connect() {
  const conn = document.getElementById("conn");
  const es = new EventSource("/api/alerts/stream");
  es.addEventListener("snapshot", (e) => {
    alerts.clear();
    for (const a of JSON.parse(e.data).alerts) alerts.set(a.id, a);
    conn.textContent = S.ui.live;
    conn.className = "conn live";
    render();
  });
  es.addEventListener("change", (e) => {
    const change = JSON.parse(e.data);
    upsert(change.alert);
    if (change.event === "opened" && change.alert.severity === "critical") beep();
  });
  es.addEventListener("logout", () => { es.close(); location.reload(); });
  es.onerror = () => {
    conn.textContent = S.ui.offline;
    conn.className = "conn down";
    // a closed stream after a logout or an expired session: the page asks again and lands on the login form
    fetch("/api/alerts", { method: "GET" }).then((r) => { if (r.status === 401) location.reload(); }).catch(() => {});
  };
}

/** The hold of a past alert, from its history row: a resolved throw the police ask about weeks later. */
function historyHold(a) {
  if (!a.mayHold) return null;
  if (a.hold) return packageLink(a);
  const note = h("input", { className: "note", placeholder: S.ui.holdNote, maxlength: 500 });
  return h("div", { className: "actions legal" }, note, h("button", { className: "legal-hold", onclick: (ev) => {
    if (!note.value.trim()) { note.focus(); return alert(S.ui.holdReason); }
    const row = ev.currentTarget.closest("tr");
    act("hold", a.id, note.value, ev.currentTarget).then((held) => { if (held) row.replaceWith(historyRow(held)); });
  } }, S.ui.legalHold));
}

function historyRow(a) {
  const handled = [];
  if (a.acknowledgedBy) handled.push(S.ui.ackedBy + ": " + a.acknowledgedBy + " " + time(a.acknowledgedAt) + (a.ackNote ? " (" + a.ackNote + ")" : ""));
  if (a.resolvedBy) handled.push(S.ui.resolvedBy + ": " + a.resolvedBy + " " + time(a.resolvedAt) + (a.resolveNote ? " (" + a.resolveNote + ")" : ""));
  if (a.escalatedAt) handled.push(S.ui.escalated + " " + time(a.escalatedAt));
  return h("tr", { className: "sev-" + a.severity, "data-id": a.id },
    h("td", {}, time(a.createdAt)), h("td", {}, S.types[a.type] || a.type), h("td", {}, placeText(a.place)),
    h("td", {}, S.severities[a.severity]), h("td", {}, String(a.count)), h("td", { className: "state" }, S.states[a.state]),
    h("td", {}, heldBadge(a), handled.map((t) => h("div", {}, t)), historyHold(a)));
}

let oldest;
async function loadHistory(reset) {
  const tbody = document.querySelector("#history tbody");
  if (reset) { tbody.replaceChildren(); oldest = undefined; }
  const res = await fetch("/api/alerts/history?limit=100" + (oldest ? "&before=" + oldest : ""));
  if (res.status === 401) return location.reload();
  const body = await res.json();
  for (const a of body.alerts) {
    tbody.append(historyRow(a));
    oldest = a.lastAt;
  }
  document.getElementById("more").hidden = body.alerts.length < 100;
}

function show(which) {
  for (const view of ["open", "history", "channels"]) {
    document.getElementById(view + "-view").hidden = which !== view;
    document.getElementById("tab-" + view).classList.toggle("active", which === view);
  }
  if (which === "history") loadHistory(true);
  if (which === "channels") loadChannels();
}

document.getElementById("tab-open").addEventListener("click", () => show("open"));
document.getElementById("tab-history").addEventListener("click", () => show("history"));
document.getElementById("tab-channels").addEventListener("click", () => show("channels"));
document.getElementById("more").addEventListener("click", () => loadHistory(false));
connect();
`;
