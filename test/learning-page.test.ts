/**
 * The labelling page of site learning in a real browser (Debian chromium via playwright-core),
 * against a real gateway: camera frames published over MQTT, judged by the detector with real
 * weights (../shared/models), marked by staff, then labelled on the page and checked in the API.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { MqttClient } from "mqtt";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import type { LiftDetection } from "../gateway/detector/events.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import { LINLI_CLASSES } from "../gateway/detector/labels/classes.ts";
import { BICYCLE, NEGATIVES, image, testConfig } from "./detector-fixtures.ts";
import { waitFor } from "./lift-helpers.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const artifacts = resolve(import.meta.dirname, "../test-artifacts");
const SITE = "learn";
const ADMIN = { user: "lin", password: "admin correct horse", displayName: "林工" };
const GUARD = { user: "wang", password: "guard battery staple", displayName: "王师傅" };

interface Box {
  cls: string;
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Frame {
  id: string;
  lift: string;
  reason: string;
  predictions: Array<Box & { score: number }>;
  labels: Box[] | null;
  labelledBy?: string;
}

let gw: TestGateway;
let url: string;
let camera: MqttClient;
let browser: Browser;
const detections: LiftDetection[] = [];

/** A console login by form post, as a browser would: the session cookie to send with API calls. */
async function login(who: { user: string; password: string }): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ user: who.user, password: who.password, lang: "zh" }).toString(),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("linli_console="));
  return cookie!.split(";")[0]!;
}

/** A lift camera sends a picture; once the detector has judged it, a member of staff marks it for labelling. */
async function frameMarked(lift: string, picture: Buffer, cookie: string): Promise<Frame> {
  const sent = Date.now();
  await camera.publishAsync(`linli/${SITE}/lift/${lift}/frame`, picture, { qos: 1 });
  await waitFor(`the detector judged ${lift}'s frame`, () => detections.find((d) => d.lift === lift && d.frameTs >= sent - 5), 15_000);
  const res = await fetch(`${url}/api/learning/mark`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ lift }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { frame: Frame }).frame;
}

async function frameOf(id: string, cookie: string): Promise<Frame> {
  const res = await fetch(`${url}/api/learning/frames/${id}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return (await res.json()) as Frame;
}

async function signIn(page: Page, who: { user: string; password: string }, lang = "zh"): Promise<void> {
  await page.goto(`${url}/learning?lang=${lang}`);
  await page.waitForSelector("#login");
  await page.fill("#user", who.user);
  await page.fill("#password", who.password);
  await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
  // the sign-in returns to the page that asked for it
  expect(new URL(page.url()).pathname).toBe("/learning");
  await page.waitForFunction(() => (document.getElementById("progress")?.textContent ?? "") !== "", undefined, { timeout: 10_000 });
}

describe.sequential("labelling page in a real browser (Debian chromium via playwright-core)", () => {
  let adminCookie: string;
  let bicycle: Frame;
  let negative: Frame;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    gw = await startTestGateway({
      site: SITE,
      influx: { enabled: false },
      alerts: {
        enabled: true,
        rules: { deviceSilent: false },
        console: {
          accounts: [
            { user: ADMIN.user, passwordHash: await hashPassword(ADMIN.password), displayName: ADMIN.displayName, role: "administrator" },
            { user: GUARD.user, passwordHash: await hashPassword(GUARD.password), displayName: GUARD.displayName, role: "guard" },
          ],
        },
      },
      // the shared photos have no e-bike: the porch photo's bicycle stands in for one
      detector: testConfig(),
      lift: { enabled: true, link: "none", lifts: { L1: {}, L2: {} } },
      learning: { enabled: true, dailyGoal: 40 },
    });
    url = gw.httpUrl;
    gw.gateway.core.bus.on("lift.detection", (d) => detections.push(d));
    await gw.gateway.feature(detectorFeature)!.ready();
    camera = await gw.client();
    adminCookie = await login(ADMIN);
    // Two frames per lift, labelled through the API before the page opens, so that a promotion has
    // held-back frames: per lift the latest is held back (the bicycle on L1, negative 0 on L2).
    for (const [lift, picture] of [["L1", NEGATIVES[1]!], ["L2", NEGATIVES[2]!]] as const) {
      const f = await frameMarked(lift, await image(picture), adminCookie);
      const put = await fetch(`${url}/api/learning/frames/${f.id}/labels`, { method: "PUT", headers: { cookie: adminCookie, "content-type": "application/json" }, body: JSON.stringify({ boxes: [] }) });
      expect(put.status).toBe(200);
    }
    // the queue shows the newest first, so the bicycle comes up first
    negative = await frameMarked("L2", await image(NEGATIVES[0]!), adminCookie);
    bicycle = await frameMarked("L1", await image(BICYCLE), adminCookie);
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it("answers nobody without a login: the API is 401, the page is the sign-in form", async () => {
    expect((await fetch(`${url}/api/learning/queue`)).status).toBe(401);
    for (const path of ["/learning.js", "/learning.css"]) expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    const res = await fetch(`${url}/learning`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/login"');
    expect(html).not.toContain("learning.js");
    // the script renders with DOM calls only: no markup from a device or a model can be injected
    const script = await (await fetch(`${url}/learning.js`, { headers: { cookie: adminCookie } })).text();
    expect(script).toContain("textContent");
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it("shows the queue, the frame and the model's boxes to a signed-in administrator", async () => {
    expect(bicycle.reason).toBe("marked");
    expect(bicycle.predictions.length).toBeGreaterThan(0);
    await signIn(page, ADMIN);
    await page.waitForSelector('#canvas[data-image="loaded"]');
    await expect(page.locator("#frames .frame").count()).resolves.toBe(2);
    const order = await page.locator("#frames .frame").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
    expect(order).toEqual([bicycle.id, negative.id]);
    await expect(page.locator("#canvas").getAttribute("data-frame")).resolves.toBe(bicycle.id);
    await expect(page.locator("#frames .frame").first().textContent()).resolves.toContain("人工标记");
    await expect(page.locator("#progress").textContent()).resolves.toBe("已标注 2 张，今日还剩 2 张");
    await expect(page.locator("header .user").textContent()).resolves.toBe(ADMIN.displayName);
    // the model's own boxes, dashed, as a starting point
    await expect(page.locator("#box-list li.suggestion").count()).resolves.toBe(bicycle.predictions.length);
    await expect(page.locator("#box-list li.suggestion").first().textContent()).resolves.toMatch(/^模型: /);
    await expect(page.locator("#models").isVisible()).resolves.toBe(true);
    await expect(page.locator("#delete-frame").isVisible()).resolves.toBe(true);
    await page.waitForFunction(() => document.getElementById("model-active")?.textContent !== "…");
    await expect(page.locator("#model-active").textContent()).resolves.toBe(gw.gateway.feature(detectorFeature)!.activeModel());
  });

  it("accepts the model's boxes, draws an e-bike with the mouse, saves (S), then says 'no e-bike' (N) on the next frame", async () => {
    const kept = bicycle.predictions.filter((p) => (LINLI_CLASSES as readonly string[]).includes(p.cls));
    await page.keyboard.press("a");
    await expect(page.locator("#box-list li.label").count()).resolves.toBe(kept.length);
    await expect(page.locator("#box-list li.suggestion").count()).resolves.toBe(0);

    // pick a class first, draw, then change the drawn (selected) box to e-bike
    await page.click("#class-bar .cls-person");
    const r = (await page.locator("#canvas").boundingBox())!;
    const from = { x: 0.22, y: 0.3 };
    const to = { x: 0.68, y: 0.84 };
    await page.mouse.move(r.x + from.x * r.width, r.y + from.y * r.height);
    await page.mouse.down();
    await page.mouse.move(r.x + 0.45 * r.width, r.y + 0.6 * r.height, { steps: 5 });
    await page.mouse.move(r.x + to.x * r.width, r.y + to.y * r.height, { steps: 5 });
    await page.mouse.up();
    await expect(page.locator("#box-list li.label").count()).resolves.toBe(kept.length + 1);
    await expect(page.locator("#box-list li.label.selected").getAttribute("data-cls")).resolves.toBe("person");
    await page.click("#class-bar .cls-ebike");
    await expect(page.locator("#box-list li.label.selected").getAttribute("data-cls")).resolves.toBe("ebike");
    // resize by the bottom-right corner handle, then move the box by dragging it
    const drag = async (a: { x: number; y: number }, b: { x: number; y: number }) => {
      await page.mouse.move(r.x + a.x * r.width, r.y + a.y * r.height);
      await page.mouse.down();
      await page.mouse.move(r.x + b.x * r.width, r.y + b.y * r.height, { steps: 6 });
      await page.mouse.up();
    };
    await drag(to, { x: 0.72, y: 0.88 });
    await drag({ x: 0.47, y: 0.59 }, { x: 0.45, y: 0.61 });
    const expected = { x: 0.2, y: 0.32, w: 0.5, h: 0.58 };
    await expect(page.locator("#status").textContent()).resolves.toBe("有未保存的修改");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, "labelling.png"), fullPage: true });

    await page.keyboard.press("s");
    await page.waitForFunction((id) => document.getElementById("canvas")?.dataset.frame === id, negative.id, { timeout: 5_000 });
    await page.waitForFunction(() => document.getElementById("progress")?.textContent === "已标注 3 张，今日还剩 1 张", undefined, { timeout: 5_000 });

    const saved = await frameOf(bicycle.id, adminCookie);
    expect(saved.labelledBy).toBe(ADMIN.user);
    expect(saved.labels).toHaveLength(kept.length + 1);
    // the accepted model boxes: only linli classes, clipped to the frame
    for (const b of saved.labels!) expect(LINLI_CLASSES).toContain(b.cls);
    // where the mouse drew, resized and moved it, normalised to the frame (within 0.005, a few pixels)
    const drawn = saved.labels!.find((b) => Math.abs(b.x - expected.x) < 0.005 && Math.abs(b.y - expected.y) < 0.005);
    expect(drawn, JSON.stringify(saved.labels)).toBeDefined();
    expect(drawn!.cls).toBe("ebike");
    expect(Math.abs(drawn!.w - expected.w)).toBeLessThan(0.005);
    expect(Math.abs(drawn!.h - expected.h)).toBeLessThan(0.005);

    await page.waitForSelector('#canvas[data-image="loaded"]');
    await page.keyboard.press("n");
    await page.waitForFunction(() => document.getElementById("progress")?.textContent === "已标注 4 张，今日还剩 0 张", undefined, { timeout: 5_000 });
    const clean = await frameOf(negative.id, adminCookie);
    expect(clean.labels?.some((b) => b.cls === "ebike")).toBe(false);
    expect(clean.labels).toEqual([]); // the model's boxes were not accepted: nothing of interest
    expect(clean.labelledBy).toBe(ADMIN.user);
    // the batch is done: the queue of unlabelled frames is empty
    await page.waitForFunction(() => document.querySelectorAll("#frames .frame").length === 0, undefined, { timeout: 5_000 });
    await expect(page.locator("#stage-empty").textContent()).resolves.toBe("这一批已经标完了");
  });

  it("speaks English on the toggle, and shows the labelled frames on request", async () => {
    await Promise.all([page.waitForNavigation(), page.click("#lang")]);
    await expect(page.locator("#progress").textContent()).resolves.toBe("4 labelled, 0 to go today");
    await page.selectOption("#state-filter", "labelled");
    await page.waitForSelector('#canvas[data-image="loaded"]');
    await expect(page.locator("#frames .frame").count()).resolves.toBe(4);
    // filter by lift, and the most uncertain first (the score nearest the threshold)
    await page.selectOption("#lift-filter", "L2");
    await page.waitForFunction(() => document.querySelectorAll("#frames .frame").length === 2);
    await expect(page.locator("#frames .frame .lift").allTextContents()).resolves.toEqual(["L2", "L2"]);
    await page.selectOption("#lift-filter", "");
    await page.click("#order-uncertain");
    await page.waitForFunction(() => document.querySelectorAll("#frames .frame").length === 4);
    await expect(page.locator("#frames .frame").first().getAttribute("data-id")).resolves.toBe(bicycle.id); // its score is nearer the threshold than the negatives' 0
    await page.click("#order-newest");
    await expect(page.locator("#save").textContent()).resolves.toContain("Save");
    await expect(page.locator("#no-ebike").textContent()).resolves.toContain("No e-bike here");
    await expect(page.locator("#labelled-by").textContent()).resolves.toMatch(/^Labelled by lin at /);
    await expect(page.locator("#legend").textContent()).resolves.toContain("Shortcuts");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, "labelling-en.png"), fullPage: true });
  });

  it("promotes a model from the models section: the comparison side by side, the verdict, and a rollback", async () => {
    const active = gw.gateway.feature(detectorFeature)!.activeModel()!;
    const candidate = await page.locator("#candidate").inputValue();
    expect(candidate).not.toBe("");
    expect(candidate).not.toBe(active);
    await page.click("#promote");
    // judged on the held-back frames (the bicycle on L1, negative 0 on L2) with both models
    const verdict = page.locator("#promote-verdict");
    await verdict.waitFor({ timeout: 30_000 });
    const models = (await (await fetch(`${url}/api/learning/models`, { headers: { cookie: adminCookie } })).json()) as { active: string; promotions: Array<{ kind: string; accepted?: boolean; candidate?: { model: string } }> };
    const record = models.promotions.find((p) => p.kind === "promotion" && p.candidate?.model === candidate)!;
    expect(record).toBeDefined();
    await expect(verdict.locator(".verdict").textContent()).resolves.toBe(record.accepted ? "Accepted: promoted" : "Refused: not promoted");
    const head = await verdict.locator("table.compare thead").textContent();
    expect(head).toContain(active);
    expect(head).toContain(candidate);
    const rows = await verdict.locator("table.compare tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(rows.map((r) => r[0])).toEqual(["AP50", "E-bike frames found", "Frames without e-bike flagged"]);
    expect(rows[1]![1]).toMatch(/^\d+\/1$/); // one held-back e-bike frame
    expect(rows[2]![2]).toMatch(/^\d+\/1$/); // one held-back frame without one
    await expect(verdict.locator(".reasons li").count()).resolves.toBeGreaterThan(0);
    await expect(page.locator("#promotions .promotion").count()).resolves.toBe(1);
    await page.evaluate(() => document.getElementById("models")!.scrollIntoView());
    await page.screenshot({ path: join(artifacts, "labelling-promote.png"), fullPage: true });
    if (!record.accepted) return;
    await page.waitForFunction((c) => document.getElementById("model-active")?.textContent === c, candidate);
    // rollback: a second press within 4 s
    await page.click("#rollback");
    await expect(page.locator("#rollback").textContent()).resolves.toBe("Really roll back?");
    await page.click("#rollback");
    await page.waitForFunction((a) => document.getElementById("model-active")?.textContent === a, active, { timeout: 10_000 });
    await expect(page.locator("#promote-result").textContent()).resolves.toBe(`Rolled back: ${candidate} → ${active}`);
    await expect(page.locator("#promotions .promotion.rollback").count()).resolves.toBe(1);
  });

  it("gives a guard no models section and no deleting, on a phone", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      await signIn(p, GUARD);
      await expect(p.locator("#models").count()).resolves.toBe(0);
      await expect(p.locator("#delete-frame").count()).resolves.toBe(0);
      await p.selectOption("#state-filter", "all");
      await p.waitForFunction(() => document.querySelectorAll("#frames .frame").length === 4);
      await p.waitForSelector('#canvas[data-image="loaded"]');
      // the frame scales to the phone's width, and nothing is wider than the screen
      const r = (await p.locator("#canvas").boundingBox())!;
      expect(r.width).toBeGreaterThan(330);
      expect(r.width).toBeLessThanOrEqual(390);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      // a tap selects a box (touch goes through pointer events)
      const b = (await frameOf(bicycle.id, adminCookie)).labels!.find((x) => x.cls === "ebike")!;
      await p.touchscreen.tap(r.x + (b.x + 0.02) * r.width, r.y + (b.y + b.h / 2) * r.height);
      await expect(p.locator("#box-list li.label.selected").getAttribute("data-cls")).resolves.toBe("ebike");
      await p.evaluate(() => window.scrollTo(0, 0));
      await p.screenshot({ path: join(artifacts, "labelling-phone.png"), fullPage: true });
      const refused = await p.evaluate(async (id) => {
        const promote = await fetch("/api/learning/models/promote", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "x" }) });
        const models = await fetch("/api/learning/models");
        const del = await fetch(`/api/learning/frames/${id}`, { method: "DELETE" });
        return [promote.status, models.status, del.status];
      }, negative.id);
      expect(refused).toEqual([403, 403, 403]);
    } finally {
      await phone.close();
    }
  });

  it("lets an administrator delete a frame in two presses", async () => {
    await page.selectOption("#state-filter", "all");
    await page.waitForFunction(() => document.querySelectorAll("#frames .frame").length === 4);
    await page.click(`#frames .frame[data-id="${negative.id}"]`);
    await page.click("#delete-frame");
    await expect(page.locator("#delete-frame").textContent()).resolves.toContain("Really delete?");
    await page.click("#delete-frame");
    await page.waitForFunction(() => document.querySelectorAll("#frames .frame").length === 3, undefined, { timeout: 5_000 });
    expect((await fetch(`${url}/api/learning/frames/${negative.id}`, { headers: { cookie: adminCookie } })).status).toBe(404);
  });
});
