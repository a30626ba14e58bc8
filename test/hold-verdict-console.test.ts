/**
 * Staff answer "e-bike or not?" where they see the hold: on its alert in the security console, in a
 * real chromium. A real gateway (embedded broker, detector on real weights, lift guard, alerts,
 * site learning); the answer releases the hold, is audited, and labels the hold's frames.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { MqttClient } from "mqtt";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import type { HoldRecord } from "../gateway/lift/events.ts";
import { BICYCLE, image, testConfig } from "./detector-fixtures.ts";
import { sleep, waitFor } from "./lift-helpers.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const SITE = "verdict";
const GUARD = { user: "wang", password: "guard battery staple" };
const artifacts = path.resolve(import.meta.dirname, "../test-artifacts");

let gw: TestGateway;
let camera: MqttClient;
let browser: Browser;
const holds: HoldRecord[] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    site: SITE,
    influx: { enabled: false },
    alerts: { enabled: true, rules: { deviceSilent: false }, console: { accounts: [{ user: GUARD.user, passwordHash: await hashPassword(GUARD.password) }] } },
    // the shared photos have no e-bike: the porch photo's bicycle stands in for one
    detector: testConfig(),
    // a relay box as the controller: the car state comes from its lift/V1/state messages
    lift: { enabled: true, link: "relay", lifts: { V1: {} }, frameStaleMs: 5_000 },
    learning: { enabled: true },
  });
  await gw.gateway.feature(detectorFeature)!.ready();
  gw.gateway.core.bus.on("lift.hold", (h) => void holds.push(h));
  camera = await gw.client();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

it("a guard releases a hold from its alert with 'no e-bike': released, audited, and the hold's frames labelled as false", async () => {
  const bicycle = await image(BICYCLE);
  const state = { floor: 3, door: "open", moving: false, direction: "none", mode: "normal" };
  await camera.publishAsync(`linli/${SITE}/lift/V1/state`, JSON.stringify(state), { qos: 1 });
  // the car's state is renewed as a lift controller's would be, and the camera sends 5 frames a second
  const until = Date.now() + 15_000;
  while (Date.now() < until && !holds.some((h) => h.phase === "start")) {
    await camera.publishAsync(`linli/${SITE}/lift/V1/frame`, bicycle, { qos: 0 });
    await sleep(200);
  }
  const hold = holds.find((h) => h.phase === "start");
  expect(hold, "the guard held V1").toBeDefined();

  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await page.goto(`${gw.httpUrl}/`);
  await page.fill("#user", GUARD.user);
  await page.fill("#password", GUARD.password);
  await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
  // site learning runs: the console links to its labelling page
  expect(await page.locator("#nav-learning").getAttribute("href")).toBe("/learning");
  const card = page.locator('article[data-type="lift_hold"]');
  await card.waitFor({ timeout: 10_000 });
  await card.locator("img.snapshot").waitFor({ timeout: 5_000 });
  await page.screenshot({ path: path.join(artifacts, "console-hold-verdict.png"), fullPage: true });
  await card.locator(".release-false").click();
  await waitFor("the hold ended by staff", () => holds.some((h) => h.holdId === hold!.holdId && h.phase === "end" && h.endReason === "staff"), 10_000);

  const audit = (await readFile(path.join(gw.dataDir, "lift", "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(audit.at(-1)).toMatchObject({ lift: "V1", action: "release", by: GUARD.user, via: "http", holdId: hold!.holdId, verdict: "no_ebike" });
  // the hold's frames were kept for site learning, and the answer labelled them: nothing to hold for
  const res = await page.request.get(`${gw.httpUrl}/api/learning/queue?state=all`);
  const frames = ((await res.json()) as { frames: { holdId?: string; verdict?: string; labels: unknown[] | null; labelSource?: string }[] }).frames.filter((f) => f.holdId === hold!.holdId);
  expect(frames.length).toBeGreaterThan(0);
  expect(frames.every((f) => f.verdict === "no_ebike" && Array.isArray(f.labels) && f.labels.length === 0 && f.labelSource === "verdict")).toBe(true);
}, 60_000);
