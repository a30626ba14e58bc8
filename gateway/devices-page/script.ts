import { domHelperJs } from "../console/dom-script.ts";

/**
 * The devices page's script, served as /devices.js (the CSP allows no inline script): it polls
 * `/api/devices`, filters by kind, state and search in the browser, and renders with DOM calls and
 * text nodes only, so no device id or reject detail can inject markup.
 */
export const devicesJs = String.raw`
"use strict";
const CFG = JSON.parse(document.getElementById("linli-config").textContent);
const S = CFG.strings;
const U = S.ui;
const POLL_MS = 5000;
const fmt = new Intl.DateTimeFormat(CFG.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: CFG.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const time = (ms) => fmt.format(new Date(ms));
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
const $ = (id) => document.getElementById(id);

${domHelperJs}

const st = { devices: [], now: 0, registry: false, kind: "", state: "all", search: "" };

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return fill(U.secondsAgo, { n: s });
  if (s < 5400) return fill(U.minutesAgo, { n: Math.round(s / 60) });
  if (s < 129600) return fill(U.hoursAgo, { n: Math.round(s / 3600) });
  return fill(U.daysAgo, { n: Math.round(s / 86400) });
}

const kindName = (d) => S.kinds[d.kind] || d.title;

function placeText(d) {
  const parts = [];
  if (d.place.building) parts.push(fill(U.building, { b: d.place.building }));
  if (d.place.label) parts.push(d.place.label);
  return parts.join(" · ");
}

function valueLines(d) {
  const v = d.values;
  const out = [];
  if (v.lift) out.push(fill(U.liftValues, { floor: v.lift.floor, door: S.doors[v.lift.door] || v.lift.door, motion: v.lift.moving ? U.moving : U.stopped }));
  if (v.ports) out.push(fill(U.chargerValues, { charging: v.ports.charging, total: v.ports.total, fault: v.ports.fault, power: v.ports.powerW, hottest: v.ports.hottestC }));
  if (d.kind === "gate") out.push(fill(U.gateValues, { count: v.passes ? v.passes.count : 0, refused: v.passes ? v.passes.refused : 0 }));
  if (v.throw) out.push(fill(U.throwValues, { building: v.throw.building, floor: v.throw.floor === null ? U.unknownFloor : v.throw.floor, at: time(v.throw.at) }));
  return out;
}

function card(d) {
  const notes = [];
  if (d.disabled) notes.push(h("span", { className: "badge note" }, U.disabled));
  else if (st.registry && !d.listed) notes.push(h("span", { className: "badge note" }, U.notListed));
  const seen = d.lastSeenAt === null ? U.neverSeen : fill(U.lastSeen, { at: time(d.lastSeenAt), ago: ago(st.now - d.lastSeenAt) });
  const limit = d.silentAfterMs > 0 ? " · " + fill(U.offlineAfter, { s: Math.round(d.silentAfterMs / 1000) }) : "";
  const reasons = Object.entries(d.rejects.byReason).map(([r, n]) => (S.rejects[r] || r) + " " + n).join("，");
  return h(
    "li",
    { className: "device " + d.state, "data-kind": d.kind, "data-id": d.id, "data-state": d.state },
    h("div", { className: "head" }, h("span", { className: "badge " + d.state }, S.states[d.state]), h("span", { className: "id" }, d.id), h("span", { className: "kind" }, kindName(d)), notes),
    h("p", { className: "line place" }, placeText(d) || U.noPlace),
    h("p", { className: "line meta seen" }, seen + limit),
    valueLines(d).map((t) => h("p", { className: "line values" }, t)),
    d.rejects.total > 0 ? h("p", { className: "line rejects" }, fill(U.rejects, { n: d.rejects.total, reasons })) : null,
    d.rejects.latest.slice(0, 2).map((r) => h("p", { className: "line reject-detail" }, time(r.at) + " " + (S.rejects[r.reason] || r.reason) + ": " + r.detail)),
    d.grafana ? h("p", { className: "line" }, h("a", { href: d.grafana, target: "_blank", rel: "noopener" }, U.grafana)) : null,
  );
}

function matches(d) {
  if (st.kind && d.kind !== st.kind) return false;
  if (st.state !== "all" && d.state !== st.state) return false;
  const q = st.search.trim().toLowerCase();
  if (!q) return true;
  return [d.id, d.kind, kindName(d), placeText(d), d.place.building || ""].some((t) => t.toLowerCase().includes(q));
}

function render() {
  const counts = { online: 0, offline: 0, unknown: 0 };
  for (const d of st.devices) counts[d.state]++;
  const shown = st.devices.filter(matches);
  const filtered = shown.length !== st.devices.length;
  $("summary").textContent = fill(U.summary, { total: st.devices.length, ...counts }) + (filtered ? " · " + fill(U.shown, { n: shown.length }) : "");
  $("devices").replaceChildren(...shown.map(card));
  const none = st.devices.length === 0;
  $("empty").hidden = shown.length > 0;
  $("empty-text").textContent = none ? U.noDevices : U.noMatch;
  $("clear").hidden = none;
}

async function load() {
  try {
    const res = await fetch("/api/devices", { headers: { accept: "application/json" } });
    if (res.status === 401) return location.reload();
    if (!res.ok) throw new Error("HTTP " + res.status);
    const data = await res.json();
    st.devices = data.devices;
    st.now = data.now;
    st.registry = data.registry;
    render();
    $("updated").textContent = fill(U.updated, { at: time(data.now) });
  } catch {
    $("updated").textContent = U.loadFailed;
  }
}

$("search").addEventListener("input", (e) => {
  st.search = e.target.value;
  render();
});
$("kind").addEventListener("change", (e) => {
  st.kind = e.target.value;
  render();
});
for (const b of document.querySelectorAll("#state button")) {
  b.addEventListener("click", () => {
    st.state = b.dataset.state;
    for (const o of document.querySelectorAll("#state button")) {
      o.classList.toggle("active", o === b);
      o.setAttribute("aria-pressed", String(o === b));
    }
    render();
  });
}
$("clear").addEventListener("click", () => {
  st.kind = "";
  st.search = "";
  $("kind").value = "";
  $("search").value = "";
  document.querySelector('#state button[data-state="all"]').click();
});

load();
setInterval(load, POLL_MS);
`;
