import { domHelperJs } from "../../console/dom-script.ts";
/**
 * The labelling page's script: no framework, no build step, served as /learning.js (the CSP allows
 * no inline script). It renders with DOM calls and textContent only, never innerHTML, so no text
 * from a device or a model can inject markup. Boxes are kept normalised (0-1, top-left + size), as
 * the API stores them; the canvas maps them to its pixels, whatever its size on the screen.
 */
export const labellingJs = String.raw`
"use strict";
const CFG = JSON.parse(document.getElementById("linli-config").textContent);
const S = CFG.strings;
const U = S.ui;
const ADMIN = CFG.role === "administrator";
const CLASSES = S.classOrder;
const COLORS = { ebike: "#ff4d4f", bicycle: "#40a9ff", stroller: "#b37feb", wheelchair: "#36cfc9", trolley: "#ffa940", person: "#73d13d" };
const OTHER = "#bdc3c7";
const fmt = new Intl.DateTimeFormat(CFG.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: CFG.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const time = (ms) => (ms ? fmt.format(new Date(ms)) : "");
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
const $ = (id) => document.getElementById(id);
const clamp = (v, lo, hi) => Math.min(hi === undefined ? 1 : hi, Math.max(lo === undefined ? 0 : lo, v));
const num = (v, digits) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–");

${domHelperJs}

const st = {
  order: "newest",
  filter: "unlabelled",
  lift: "",
  frames: [],
  index: -1,
  /** the current frame's boxes as being edited */
  boxes: [],
  /** whether the model's boxes are shown (an unlabelled frame, until they are accepted) */
  suggestions: false,
  selected: -1,
  cls: "ebike",
  dirty: false,
  /** edits not saved yet, per frame id, kept when moving between frames */
  drafts: new Map(),
  drag: null,
  busy: false,
  lifts: "",
  /** the counts of the whole collection, from the last answer */
  progress: null,
};
const images = new Map();
const canvas = $("canvas");
const ctx = canvas.getContext("2d");
const current = () => st.frames[st.index];

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.reload();
    throw new Error("login required");
  }
  let data = {};
  try {
    data = await res.json();
  } catch {
    // an empty or non-JSON answer
  }
  if (!res.ok || data.ok === false) throw new Error(data.error || "HTTP " + res.status);
  return data;
}

function status(text, kind) {
  const el = $("status");
  el.textContent = text || "";
  el.className = "status" + (kind ? " " + kind : "");
}

// ---- the queue ----

function queueUrl(limit) {
  const q = new URLSearchParams({ order: st.order, state: st.filter, limit: String(limit) });
  if (st.lift) q.set("lift", st.lift);
  return "/api/learning/queue?" + q.toString();
}

function showProgress(p) {
  if (!p) return;
  st.progress = p;
  $("progress").textContent = fill(U.progress, { labelled: p.labelled, toGo: p.toGoToday });
  $("waiting").textContent = fill(U.waiting, { n: p.unlabelled });
}

function showLifts(lifts) {
  const key = (lifts || []).join("\n");
  if (key === st.lifts) return;
  st.lifts = key;
  const sel = $("lift-filter");
  sel.replaceChildren(h("option", { value: "" }, U.allLifts), ...(lifts || []).map((l) => h("option", { value: l }, l)));
  sel.value = st.lift;
}

async function loadQueue(keepId) {
  stash();
  try {
    const body = await api("GET", queueUrl(200));
    st.frames = body.frames || [];
    showProgress(body.progress);
    showLifts(body.lifts);
  } catch (err) {
    status(U.failed + ": " + err.message, "error");
    return;
  }
  let i = keepId ? st.frames.findIndex((f) => f.id === keepId) : -1;
  if (i < 0) i = st.frames.length ? 0 : -1;
  st.index = -1;
  renderQueue();
  select(i);
}

async function refreshProgress() {
  try {
    const body = await api("GET", queueUrl(1));
    showProgress(body.progress);
    showLifts(body.lifts);
  } catch {
    // the numbers stay as they were
  }
}

function queueItem(f, i) {
  return h("li", {},
    h("button", { type: "button", className: "frame" + (i === st.index ? " current" : "") + (f.labels ? " done" : ""), "data-id": f.id, onclick: () => select(i) },
      h("img", { src: f.imageUrl, alt: "", loading: "lazy", decoding: "async", width: 72, height: 54 }),
      h("span", { className: "info" },
        h("span", {}, h("span", { className: "lift" }, f.lift), h("span", { className: "when" }, time(f.capturedAt))),
        h("span", {},
          h("span", { className: "badge reason-" + f.reason }, S.reasons[f.reason] || f.reason),
          f.verdict ? h("span", { className: "badge verdict-" + f.verdict }, S.verdicts[f.verdict] || f.verdict) : null,
          h("span", { className: "score", title: f.model }, num(f.score, 2))),
        f.labels ? h("span", { className: "done-by" }, "✓ " + fill(U.labelledBy, { by: f.labelledBy || "?", at: time(f.labelledAt) })) : null)));
}

function renderQueue() {
  $("frames").replaceChildren(...st.frames.map(queueItem));
  $("queue-empty").hidden = st.frames.length > 0;
  $("queue-empty").textContent = emptyText();
}

/** Why the queue is empty: nothing collected at all yet (a new gateway), this batch done, or a filter that matches nothing. */
function emptyText() {
  const p = st.progress;
  if (p && p.labelled + p.unlabelled === 0) return U.nothingYet;
  return st.filter === "unlabelled" ? U.allDone : U.empty;
}

function markCurrentInQueue() {
  const list = $("frames");
  [...list.children].forEach((li, i) => li.firstChild.classList.toggle("current", i === st.index));
  const el = list.children[st.index];
  // scroll the list itself (not the page: on a phone the list is below the frame)
  if (el && list.scrollHeight > list.clientHeight) {
    const top = el.offsetTop;
    if (top < list.scrollTop || top + el.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = Math.max(0, top - list.clientHeight / 2);
  }
}

// ---- one frame ----

function stash() {
  const f = current();
  if (f && st.dirty) st.drafts.set(f.id, { boxes: st.boxes.map((b) => ({ ...b })), suggestions: st.suggestions });
}

function select(i) {
  if (i !== st.index) stash();
  st.index = i;
  st.selected = -1;
  st.drag = null;
  const f = current();
  if (f) {
    const draft = st.drafts.get(f.id);
    if (draft) {
      st.boxes = draft.boxes.map((b) => ({ ...b }));
      st.suggestions = draft.suggestions;
      st.dirty = true;
    } else {
      st.boxes = (f.labels || []).map((b) => ({ cls: b.cls, x: b.x, y: b.y, w: b.w, h: b.h }));
      st.suggestions = f.labels === null || f.labels === undefined;
      st.dirty = false;
    }
    loadImage(f);
    const after = st.frames[i + 1];
    if (after) loadImage(after);
  } else {
    st.boxes = [];
    st.suggestions = false;
    st.dirty = false;
  }
  canvas.dataset.frame = f ? f.id : "";
  $("stage-empty").hidden = !!f;
  $("stage-empty").textContent = st.frames.length ? "" : emptyText();
  markCurrentInQueue();
  renderInfo();
  status(st.dirty ? U.unsaved : "", st.dirty ? "dirty" : "");
  changedView();
}

function renderInfo() {
  const f = current();
  const box = $("frame-info");
  if (!f) return box.replaceChildren();
  box.replaceChildren(
    h("span", { className: "where" }, h("strong", {}, U.lift + " " + f.lift), " · " + time(f.capturedAt)),
    h("span", { className: "why" },
      h("span", { className: "badge reason-" + f.reason, id: "frame-reason" }, S.reasons[f.reason] || f.reason),
      f.verdict ? h("span", { className: "badge verdict-" + f.verdict, id: "frame-verdict" }, S.verdicts[f.verdict] || f.verdict) : null),
    h("span", { className: "meta" }, fill(U.modelScore, { model: f.model, score: num(f.score, 2), threshold: num(f.threshold, 2) })),
    h("span", { className: "meta", id: "labelled-by" }, f.labels ? fill(U.labelledBy, { by: f.labelledBy || "?", at: time(f.labelledAt) }) : U.notLabelled));
}

function loadImage(f) {
  if (images.has(f.id)) return;
  const img = new Image();
  img.decoding = "async";
  img.onload = () => {
    const c = current();
    if (c && c.id === f.id) {
      sizeCanvas();
      draw();
    }
  };
  img.src = f.imageUrl;
  images.set(f.id, img);
  if (images.size > 40) images.delete(images.keys().next().value);
}

/** Model boxes that name a linli class become labels; the model's other labels are dropped. */
function acceptable(f) {
  return (f ? f.predictions || [] : []).filter((p) => CLASSES.includes(p.cls)).map((p) => {
    const x0 = clamp(p.x), y0 = clamp(p.y), x1 = clamp(p.x + p.w), y1 = clamp(p.y + p.h);
    return { cls: p.cls, x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }).filter((b) => b.w > 0 && b.h > 0);
}

function changed() {
  st.dirty = true;
  status(U.unsaved, "dirty");
}

/** Buttons, the box list and the canvas after any change of the current frame's state. */
function changedView() {
  const f = current();
  for (const b of document.querySelectorAll("#class-bar .cls")) b.classList.toggle("active", b.dataset.cls === st.cls);
  $("accept").disabled = !f || !st.suggestions || acceptable(f).length === 0;
  $("delete-box").disabled = st.selected < 0;
  for (const id of ["save", "no-ebike"]) $(id).disabled = !f || st.busy;
  $("prev").disabled = !f || st.index <= 0;
  $("next").disabled = !f || st.index >= st.frames.length - 1;
  if ($("delete-frame")) $("delete-frame").disabled = !f || st.busy;
  const items = st.boxes.map((b, i) => h("li", { className: "label" + (i === st.selected ? " selected" : ""), style: "border-color:" + COLORS[b.cls], "data-cls": b.cls, onclick: () => { st.selected = i; changedView(); } }, (i + 1) + " · " + (S.classes[b.cls] || b.cls)));
  if (st.suggestions && f) for (const p of f.predictions || []) items.push(h("li", { className: "suggestion", style: "border-color:" + (COLORS[p.cls] || OTHER), "data-cls": p.cls }, U.model + ": " + (S.classes[p.cls] || p.cls) + " " + num(p.score, 2)));
  $("box-list").replaceChildren(...items);
  canvas.dataset.boxes = String(st.boxes.length);
  sizeCanvas();
  draw();
}

// ---- the canvas ----

function sizeCanvas() {
  const f = current();
  const img = f && images.get(f.id);
  const w = (f && f.width) || (img && img.naturalWidth) || 4;
  const hh = (f && f.height) || (img && img.naturalHeight) || 3;
  canvas.style.aspectRatio = w + " / " + hh;
  const r = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const cw = Math.max(1, Math.round(r.width * dpr));
  const ch = Math.max(1, Math.round(r.height * dpr));
  if (canvas.width !== cw || canvas.height !== ch) {
    canvas.width = cw;
    canvas.height = ch;
  }
}

/** canvas pixels per CSS pixel */
function scale() {
  const r = canvas.getBoundingClientRect();
  return r.width ? canvas.width / r.width : 1;
}

function drawBox(b, color, dashed, text, selected) {
  const W = canvas.width, H = canvas.height, k = scale();
  const x = b.x * W, y = b.y * H, w = b.w * W, hh = b.h * H;
  ctx.save();
  ctx.lineWidth = (selected ? 3 : 2) * k;
  ctx.strokeStyle = color;
  ctx.setLineDash(dashed ? [7 * k, 5 * k] : []);
  if (selected) {
    ctx.fillStyle = color + "33";
    ctx.fillRect(x, y, w, hh);
  }
  ctx.strokeRect(x, y, w, hh);
  ctx.setLineDash([]);
  if (text) {
    ctx.font = 13 * k + 'px "Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC",sans-serif';
    const tw = ctx.measureText(text).width + 8 * k, th = 18 * k;
    const ty = y - th >= 0 ? y - th : y;
    ctx.globalAlpha = dashed ? 0.75 : 1;
    ctx.fillStyle = color;
    ctx.fillRect(x, ty, tw, th);
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#111";
    ctx.textBaseline = "middle";
    ctx.fillText(text, x + 4 * k, ty + th / 2);
  }
  if (selected) {
    const s = 10 * k;
    for (const [cx, cy] of corners(b)) {
      ctx.fillStyle = "#fff";
      ctx.fillRect(cx * W - s / 2, cy * H - s / 2, s, s);
      ctx.strokeStyle = color;
      ctx.lineWidth = 2 * k;
      ctx.strokeRect(cx * W - s / 2, cy * H - s / 2, s, s);
    }
  }
  ctx.restore();
}

function draw() {
  const W = canvas.width, H = canvas.height;
  ctx.fillStyle = "#0f1a24";
  ctx.fillRect(0, 0, W, H);
  const f = current();
  if (!f) return;
  const img = images.get(f.id);
  if (img && img.complete && img.naturalWidth) {
    ctx.drawImage(img, 0, 0, W, H);
    canvas.dataset.image = "loaded";
  } else {
    canvas.dataset.image = "loading";
    ctx.fillStyle = "#9fb3c3";
    ctx.font = 16 * scale() + "px sans-serif";
    ctx.fillText(U.loading, 12 * scale(), 28 * scale());
  }
  if (st.suggestions) for (const p of f.predictions || []) drawBox(p, COLORS[p.cls] || OTHER, true, (S.classes[p.cls] || p.cls) + " " + num(p.score, 2), false);
  st.boxes.forEach((b, i) => drawBox(b, COLORS[b.cls], false, S.classes[b.cls] || b.cls, i === st.selected));
  const d = st.drag;
  if (d && d.mode === "new" && d.box) drawBox(d.box, COLORS[st.cls], false, S.classes[st.cls], true);
}

function corners(b) {
  return [[b.x, b.y], [b.x + b.w, b.y], [b.x, b.y + b.h], [b.x + b.w, b.y + b.h]];
}

function pointAt(ev) {
  const r = canvas.getBoundingClientRect();
  return { x: clamp((ev.clientX - r.left) / r.width), y: clamp((ev.clientY - r.top) / r.height), r };
}

const inside = (b, p) => p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h;
const rectOf = (a, b) => ({ x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) });

/** What a pointer is over: a corner of the selected box, the selected box, another box, or nothing. */
function hit(p, coarse) {
  const tol = coarse ? 20 : 10;
  const tx = tol / p.r.width, ty = tol / p.r.height;
  const sel = st.boxes[st.selected];
  if (sel) {
    const cs = corners(sel);
    for (let c = 0; c < 4; c++) if (Math.abs(p.x - cs[c][0]) <= tx && Math.abs(p.y - cs[c][1]) <= ty) return { kind: "corner", index: st.selected, corner: c };
    if (inside(sel, p)) return { kind: "selected", index: st.selected };
  }
  for (let i = st.boxes.length - 1; i >= 0; i--) if (inside(st.boxes[i], p)) return { kind: "box", index: i };
  return { kind: "none", index: -1 };
}

canvas.addEventListener("pointerdown", (ev) => {
  if (!current() || ev.button > 0 || st.drag) return;
  ev.preventDefault();
  canvas.setPointerCapture(ev.pointerId);
  const p = pointAt(ev);
  const at = hit(p, ev.pointerType !== "mouse");
  const d = { id: ev.pointerId, start: p, moved: false, at, mode: "new" };
  if (at.kind === "corner") {
    const b = st.boxes[at.index];
    d.mode = "resize";
    // the corner opposite the one dragged stays put
    d.anchor = { x: at.corner % 2 === 0 ? b.x + b.w : b.x, y: at.corner < 2 ? b.y + b.h : b.y };
  } else if (at.kind === "selected") {
    d.mode = "move";
    d.orig = { ...st.boxes[at.index] };
  }
  // on another box: a tap selects it, a drag draws a new box (boxes may nest)
  st.drag = d;
});

canvas.addEventListener("pointermove", (ev) => {
  const d = st.drag;
  if (!d || d.id !== ev.pointerId) {
    if (ev.pointerType === "mouse" && current()) {
      const at = hit(pointAt(ev), false);
      canvas.style.cursor = at.kind === "corner" ? (at.corner === 0 || at.corner === 3 ? "nwse-resize" : "nesw-resize") : at.kind === "selected" ? "move" : "crosshair";
    }
    return;
  }
  const p = pointAt(ev);
  if (!d.moved && Math.hypot((p.x - d.start.x) * p.r.width, (p.y - d.start.y) * p.r.height) < 4) return;
  d.moved = true;
  if (d.mode === "new") {
    d.box = rectOf(d.start, p);
  } else if (d.mode === "move") {
    const b = st.boxes[d.at.index];
    b.x = clamp(d.orig.x + p.x - d.start.x, 0, 1 - b.w);
    b.y = clamp(d.orig.y + p.y - d.start.y, 0, 1 - b.h);
    changed();
  } else {
    Object.assign(st.boxes[d.at.index], rectOf(d.anchor, p));
    changed();
  }
  draw();
});

function endDrag(ev, cancelled) {
  const d = st.drag;
  if (!d || d.id !== ev.pointerId) return;
  st.drag = null;
  if (cancelled && d.mode === "move" && d.orig) Object.assign(st.boxes[d.at.index], d.orig);
  else if (!cancelled) {
    const r = d.start.r;
    if (d.mode === "new" && d.moved && d.box && d.box.w * r.width >= 4 && d.box.h * r.height >= 4) {
      st.boxes.push({ cls: st.cls, ...d.box });
      st.selected = st.boxes.length - 1;
      changed();
    } else if (!d.moved) {
      st.selected = d.at.index;
      if (st.selected >= 0) st.cls = st.boxes[st.selected].cls;
    }
  }
  changedView();
}
canvas.addEventListener("pointerup", (ev) => endDrag(ev, false));
// a long press on a phone would open the context menu over the frame
canvas.addEventListener("contextmenu", (ev) => ev.preventDefault());
canvas.addEventListener("pointercancel", (ev) => endDrag(ev, true));
new ResizeObserver(() => {
  sizeCanvas();
  draw();
}).observe(canvas);

// ---- editing ----

function pickClass(cls) {
  st.cls = cls;
  const b = st.boxes[st.selected];
  if (b && b.cls !== cls) {
    b.cls = cls;
    changed();
  }
  changedView();
}

function deleteBox() {
  if (st.selected < 0) return;
  st.boxes.splice(st.selected, 1);
  st.selected = -1;
  changed();
  changedView();
}

function accept() {
  const f = current();
  if (!f || !st.suggestions) return;
  st.boxes.push(...acceptable(f));
  st.suggestions = false;
  st.selected = -1;
  changed();
  changedView();
}

const r5 = (v) => Math.round(v * 1e5) / 1e5;

/** Saves the boxes (without e-bike boxes for "no e-bike here") and moves on to the next frame. */
async function save(noEbike) {
  const f = current();
  if (!f || st.busy) return;
  const boxes = st.boxes.filter((b) => !noEbike || b.cls !== "ebike").map((b) => {
    const x = clamp(r5(b.x)), y = clamp(r5(b.y));
    return { cls: b.cls, x, y, w: Math.min(r5(b.w), r5(1 - x)), h: Math.min(r5(b.h), r5(1 - y)) };
  }).filter((b) => b.w > 0 && b.h > 0);
  st.busy = true;
  changedView();
  try {
    const body = await api("PUT", "/api/learning/frames/" + encodeURIComponent(f.id) + "/labels", { boxes });
    st.drafts.delete(f.id);
    st.dirty = false;
    const i = st.frames.findIndex((x) => x.id === f.id);
    if (i >= 0 && body.frame) st.frames[i] = body.frame;
    renderQueue();
    refreshProgress();
    await moveOn(i >= 0 ? i : st.index);
    status(U.saved + " · " + fill(U.boxes, { n: boxes.length }), "ok");
  } catch (err) {
    status(U.saveFailed + ": " + err.message, "error");
  } finally {
    st.busy = false;
    changedView();
  }
}

function nextIndex(from, step, openOnly) {
  for (let i = from + step; i >= 0 && i < st.frames.length; i += step) if (!openOnly || !st.frames[i].labels) return i;
  return -1;
}

/** After a save: the next frame still to label (when the queue shows unlabelled ones), else the next one. */
async function moveOn(from) {
  const openOnly = st.filter === "unlabelled";
  let i = nextIndex(from, 1, openOnly);
  if (i < 0 && openOnly) i = nextIndex(-1, 1, true);
  if (i >= 0) return select(i);
  if (openOnly) {
    await loadQueue();
    if (!st.frames.length) status(U.allDone, "ok");
    return;
  }
  select(from);
}

function move(step) {
  const i = st.index + step;
  if (i >= 0 && i < st.frames.length) select(i);
}

/** A button that acts on a second press within 4 s (no confirm dialogs: they block a phone's page). */
function armed(button, prompt, action) {
  let timer;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    if (!button.classList.contains("armed")) {
      button.classList.add("armed");
      button.textContent = prompt;
      timer = setTimeout(() => {
        button.classList.remove("armed");
        button.textContent = label;
      }, 4_000);
      return;
    }
    clearTimeout(timer);
    button.classList.remove("armed");
    button.textContent = label;
    await action();
  });
}

async function deleteFrame() {
  const f = current();
  if (!f) return;
  try {
    await api("DELETE", "/api/learning/frames/" + encodeURIComponent(f.id));
    st.drafts.delete(f.id);
    st.dirty = false;
    const i = st.frames.findIndex((x) => x.id === f.id);
    st.frames.splice(i, 1);
    images.delete(f.id);
    st.index = -1;
    renderQueue();
    select(Math.min(i, st.frames.length - 1));
    status(U.deleted, "ok");
    refreshProgress();
  } catch (err) {
    status(U.failed + ": " + err.message, "error");
  }
}

// ---- models (administrators) ----

function figuresTable(current, candidate) {
  const rows = [
    [U.ap50, (f) => num(f.ap50, 3), (f) => f.ap50, true],
    [U.ebikeFound, (f) => f.ebikeFramesFound + "/" + f.ebikeFrames, (f) => (f.ebikeFrames ? f.ebikeFramesFound / f.ebikeFrames : 0), true],
    [U.cleanFlagged, (f) => f.cleanFramesFlagged + "/" + f.cleanFrames, (f) => (f.cleanFrames ? f.cleanFramesFlagged / f.cleanFrames : 0), false],
  ];
  const head = (title, f) => h("th", {}, title, f ? h("div", { className: "model-id" }, f.model) : null, f ? h("div", {}, fill(U.thresholdOf, { threshold: num(f.threshold, 2) })) : null);
  return h("table", { className: "compare" },
    h("thead", {}, h("tr", {}, h("th", {}), head(U.current, current), head(U.candidate, candidate))),
    h("tbody", {}, rows.map(([name, show, value, higherBetter]) => {
      let mark = "";
      if (current && candidate && value(candidate) !== value(current)) mark = (value(candidate) > value(current)) === higherBetter ? "better" : "worse";
      return h("tr", {}, h("th", {}, name), h("td", {}, current ? show(current) : "–"), h("td", { className: mark }, candidate ? show(candidate) : "–"));
    })));
}

function reasonsList(reasons) {
  return reasons && reasons.length ? h("ul", { className: "reasons" }, reasons.map((r) => h("li", {}, r))) : null;
}

function promotionCard(p) {
  if (p.kind === "rollback") {
    return h("div", { className: "promotion rollback" },
      h("div", { className: "head" }, h("span", { className: "badge" }, U.rollback), " " + time(p.at) + " · " + U.by + " " + p.by),
      h("div", {}, fill(U.rolledBack, { from: p.from || "?", to: p.to || "?" })));
  }
  if (p.kind === "shadow") {
    return h("div", { className: "promotion rollback" },
      h("div", { className: "head" }, h("span", { className: "badge" }, U.shadow), " " + time(p.at) + " · " + U.by + " " + p.by),
      h("div", {}, fill(U.shadowChanged, { from: p.from || U.none, to: p.to || U.none })));
  }
  return h("div", { className: "promotion " + (p.accepted ? "accepted" : "refused") },
    h("div", { className: "head" }, h("span", { className: "verdict " + (p.accepted ? "accepted" : "refused") }, p.accepted ? U.accepted : U.refused), " " + time(p.at) + " · " + U.by + " " + p.by),
    figuresTable(p.current, p.candidate),
    reasonsList(p.reasons));
}

async function loadModels() {
  const m = await api("GET", "/api/learning/models");
  $("model-active").textContent = m.active || U.none;
  $("model-shadow").textContent = m.shadow || U.none;
  $("model-previous").textContent = m.previous && m.previous.length ? m.previous.join(", ") : U.none;
  const sel = $("candidate");
  const keep = sel.value;
  const choices = (m.available || []).filter((x) => x !== m.active);
  sel.replaceChildren(...choices.map((x) => h("option", { value: x }, x)));
  if (choices.includes(keep)) sel.value = keep;
  $("promote").disabled = choices.length === 0;
  $("rollback").disabled = !m.previous || m.previous.length === 0;
  const list = [...(m.promotions || [])].sort((a, b) => b.at - a.at).slice(0, 10);
  $("promotions").replaceChildren(...(list.length ? list.map(promotionCard) : [h("p", { className: "empty" }, U.noPromotions)]));
}

async function promote() {
  const button = $("promote");
  const model = $("candidate").value;
  if (!model) return;
  const label = button.textContent;
  button.disabled = true;
  button.textContent = U.promoting;
  const out = $("promote-result");
  out.replaceChildren();
  try {
    const body = await api("POST", "/api/learning/models/promote", { model });
    const r = body.result;
    out.replaceChildren(h("div", { className: "promotion " + (r.accepted ? "accepted" : "refused"), id: "promote-verdict" },
      h("div", { className: "head" }, h("span", { className: "verdict " + (r.accepted ? "accepted" : "refused") }, r.accepted ? U.accepted : U.refused)),
      figuresTable(r.current, r.candidate),
      reasonsList(r.reasons)));
  } catch (err) {
    out.replaceChildren(h("p", { className: "status error" }, U.failed + ": " + err.message));
  } finally {
    button.textContent = label;
    await loadModels().catch(() => {});
  }
}

async function rollback() {
  const out = $("promote-result");
  try {
    const body = await api("POST", "/api/learning/models/rollback", {});
    out.replaceChildren(h("p", { className: "status ok" }, fill(U.rolledBack, { from: body.from, to: body.to })));
  } catch (err) {
    out.replaceChildren(h("p", { className: "status error" }, U.failed + ": " + err.message));
  }
  await loadModels().catch(() => {});
}

// ---- wiring ----

for (const b of document.querySelectorAll("#class-bar .cls")) b.addEventListener("click", () => pickClass(b.dataset.cls));
$("accept").addEventListener("click", accept);
$("delete-box").addEventListener("click", deleteBox);
$("no-ebike").addEventListener("click", () => save(true));
$("save").addEventListener("click", () => save(false));
$("prev").addEventListener("click", () => move(-1));
$("next").addEventListener("click", () => move(1));
if ($("delete-frame")) armed($("delete-frame"), U.confirmDelete, deleteFrame);
for (const b of document.querySelectorAll(".segmented button")) {
  b.addEventListener("click", () => {
    if (st.order === b.dataset.order) return;
    st.order = b.dataset.order;
    for (const o of document.querySelectorAll(".segmented button")) o.classList.toggle("active", o === b);
    loadQueue(current() && current().id);
  });
}
$("state-filter").addEventListener("change", (ev) => {
  st.filter = ev.target.value;
  loadQueue(current() && current().id);
});
$("lift-filter").addEventListener("change", (ev) => {
  st.lift = ev.target.value;
  loadQueue(current() && current().id);
});

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  const tag = t && t.tagName;
  if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (t && t.isContentEditable)) return;
  if (t && t.closest && t.closest("#models")) return;
  const k = ev.key;
  const n = k.length === 1 ? "123456".indexOf(k) : -1;
  if (n >= 0) pickClass(CLASSES[n]);
  else if (k === "Delete" || k === "Backspace") deleteBox();
  else if (k === "n" || k === "N") save(true);
  else if (k === "s" || k === "S") save(false);
  else if (k === "Enter") {
    if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") return; // Enter presses the focused control instead
    save(false);
  } else if (k === "ArrowRight" || k === "ArrowDown" || k === "j" || k === "J") move(1);
  else if (k === "ArrowLeft" || k === "ArrowUp" || k === "k" || k === "K") move(-1);
  else if (k === "a" || k === "A") accept();
  else if (k === "Escape") {
    st.selected = -1;
    st.drag = null;
    changedView();
  } else return;
  ev.preventDefault();
});

// on a phone there is no keyboard to speak of: the legend starts folded
if (window.matchMedia("(max-width: 820px)").matches) $("legend").open = false;
changedView();
loadQueue();
if (ADMIN) {
  $("promote").addEventListener("click", promote);
  armed($("rollback"), U.confirmRollback, rollback);
  loadModels().catch((err) => $("promote-result").replaceChildren(h("p", { className: "status error" }, U.failed + ": " + err.message)));
}
`;
