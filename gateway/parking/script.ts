import { domHelperJs } from "../console/dom-script.ts";

/**
 * The parking page's script, served as /parking.js (the CSP allows no inline script): it polls
 * `/api/parking`, renders with DOM calls and text nodes only, and posts counts and list changes.
 */
export const parkingJs = String.raw`
"use strict";
const CFG = JSON.parse(document.getElementById("linli-config").textContent);
const U = CFG.strings.ui;
const L = CFG.strings.lists;
const POLL_MS = 5000;
const fmt = new Intl.DateTimeFormat(CFG.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: CFG.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
const time = (ms) => fmt.format(new Date(ms));
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
const $ = (id) => document.getElementById(id);

${domHelperJs}

// a count being typed is not wiped by the next poll
let editing = false;

function stay(ms) {
  const min = Math.max(0, Math.round(ms / 60000));
  return min < 120 ? fill(U.minutes, { n: min }) : fill(U.hours, { n: Math.round(min / 60) });
}

async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || "HTTP " + res.status);
  return data;
}

function parkCard(p, last) {
  const form = CFG.may.count
    ? h("form", { className: "count row", "data-park": p.id, onsubmit: (e) => correct(e, p) },
        h("label", {}, U.countLabel + " ", h("input", { name: "cars", type: "number", min: "0", step: "1", inputmode: "numeric", required: true, value: p.cars, onfocus: () => (editing = true), onblur: () => (editing = false) })),
        h("label", {}, U.noteLabel + " ", h("input", { name: "note", maxlength: "200", placeholder: U.notePlaceholder, onfocus: () => (editing = true), onblur: () => (editing = false) })),
        h("button", { type: "submit" }, U.correct))
    : null;
  const pct = Math.min(100, Math.round((100 * p.cars) / p.capacity));
  return h("li", { className: "park" + (p.free === 0 ? " full" : ""), "data-park": p.id },
    h("div", { className: "head" }, h("span", { className: "name" }, p.name), p.free === 0 ? h("span", { className: "badge full" }, U.full) : null),
    h("p", { className: "cars" }, fill(U.cars, { cars: p.cars, capacity: p.capacity })),
    h("div", { className: "bar" }, h("span", { style: "width:" + pct + "%" })),
    h("p", { className: "line" }, fill(U.free, { free: p.free })),
    last ? h("p", { className: "line meta" }, fill(U.lastCorrection, { at: time(last.at), by: last.by, previous: last.previous, cars: last.cars, note: last.note ? "（" + last.note + "）" : "" })) : null,
    form);
}

function stayRow(s, now) {
  return h("li", { className: "row-item", "data-plate": s.plate },
    h("span", { className: "plate" }, s.plate),
    h("span", { className: "badge" }, L[s.kind] || s.kind),
    s.label ? h("span", { className: "label" }, s.label) : null,
    h("span", { className: "meta" }, fill(U.entered, { at: time(s.enteredAt), gate: s.gate, park: s.carParkName, stay: stay(now - s.enteredAt) })));
}

function plateRow(p, now) {
  const expiry = p.expiresAt === null ? null : fill(p.expiresAt > now ? U.expires : U.expired, { at: time(p.expiresAt) });
  return h("li", { className: "row-item list-" + p.list, "data-plate": p.plate },
    h("span", { className: "plate" }, p.plate),
    h("span", { className: "badge " + p.list }, L[p.list]),
    p.label ? h("span", { className: "label" }, p.label) : null,
    expiry ? h("span", { className: "meta" }, expiry) : null,
    h("span", { className: "meta" }, fill(U.addedBy, { by: p.addedBy, at: time(p.addedAt) })),
    h("button", { type: "button", className: "remove", onclick: () => removePlate(p.plate) }, U.remove));
}

function listOrEmpty(id, items, empty) {
  $(id).replaceChildren(...(items.length ? items : [h("li", { className: "empty" }, empty)]));
}

function render(d) {
  $("no-parks").hidden = d.carParks.length > 0;
  if (!editing) $("parks").replaceChildren(...d.carParks.map((p) => parkCard(p, d.corrections.find((c) => c.carPark === p.id))));
  $("overstaying-title").textContent = fill(U.overstaying, { h: d.visitorMaxStayHours });
  $("never-left-title").textContent = fill(U.neverLeft, { h: d.neverLeftAfterHours });
  listOrEmpty("overstaying", d.overstaying.map((s) => stayRow(s, d.now)), U.noOverstaying);
  listOrEmpty("never-left", d.neverLeft.map((s) => stayRow(s, d.now)), U.noNeverLeft);
  if (d.plates && $("plates")) listOrEmpty("plates", d.plates.map((p) => plateRow(p, d.now)), U.noPlates);
  $("updated").textContent = fill(U.updated, { at: time(d.now) });
}

async function load() {
  try {
    const res = await fetch("/api/parking", { headers: { accept: "application/json" } });
    if (res.status === 401) return location.reload();
    if (!res.ok) throw new Error("HTTP " + res.status);
    render(await res.json());
  } catch {
    $("updated").textContent = U.loadFailed;
  }
}

async function correct(e, p) {
  e.preventDefault();
  const f = e.target;
  try {
    const r = await post("/api/parking/count", { carPark: p.id, cars: Number(f.elements.cars.value), note: f.elements.note.value });
    $("count-status").textContent = fill(U.corrected, { park: p.name, cars: r.cars, previous: r.previous });
  } catch (err) {
    $("count-status").textContent = fill(U.saveFailed, { error: err.message });
  }
  editing = false;
  await load();
}

async function removePlate(plate) {
  try {
    await post("/api/parking/plates/remove", { plate });
  } catch (err) {
    $("plate-status").textContent = fill(U.saveFailed, { error: err.message });
  }
  await load();
}

const plateForm = $("plate-form");
if (plateForm) {
  plateForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { plate: $("plate").value, list: $("list").value, label: $("label").value };
    if ($("valid").value) body.validHours = Number($("valid").value);
    try {
      await post("/api/parking/plates", body);
      plateForm.reset();
      $("plate-status").textContent = "";
    } catch (err) {
      $("plate-status").textContent = fill(U.saveFailed, { error: err.message });
    }
    await load();
  });
}

load();
setInterval(load, POLL_MS);
`;
