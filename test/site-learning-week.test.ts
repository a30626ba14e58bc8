/**
 * Site learning end to end, with real parts only: a lift camera's week (the 52 labelled frames of
 * ../shared/datasets/lift-cctv-89, in capture order) published over MQTT to the gateway's embedded
 * broker while the simulated controller (node-opcua) holds the doors open; the detector with the
 * COCO model; frames collected; every frame labelled on the labelling page in chromium from the
 * data set's own labels; `dataset export`, `models train` (real torch, time-bounded) and
 * `models promote` as a site runs them; then the candidate in shadow mode on live frames, with its
 * verdicts in a real influxd.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { readActiveModel } from "../gateway/detector/active-model.ts";
import type { LiftDetection } from "../gateway/detector/events.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import type { HoldRecord } from "../gateway/lift/events.ts";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { tempDir } from "./detector-fixtures.ts";
import { waitFor } from "./lift-helpers.ts";
import { linli } from "./services/cli.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHARED = path.resolve(ROOT, "../shared");
const DATASET = path.join(SHARED, "datasets/lift-cctv-89");
const artifacts = path.join(ROOT, "test-artifacts");
const SITE = "week";
const LIFT = "A1";
const ADMIN = { user: "lin", password: "admin correct horse" };

interface Truth {
  file: string;
  bytes: Buffer;
  /** e-bike boxes, normalised, top-left and size */
  ebikes: { x: number; y: number; w: number; h: number }[];
}

/** The data set's frames in capture order, with their e-bike boxes (YOLO: centre and size). */
async function weekOfFrames(): Promise<Truth[]> {
  const names = (await readdir(path.join(DATASET, "images"))).filter((f) => f.endsWith(".jpg")).sort();
  return Promise.all(
    names.map(async (file) => {
      const text = await readFile(path.join(DATASET, "labels", file.replace(/\.jpg$/, ".txt")), "utf8");
      const ebikes = text
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => l.trim().split(/\s+/).map(Number))
        .map(([, cx, cy, w, h]) => ({ x: cx! - w! / 2, y: cy! - h! / 2, w: w!, h: h! }));
      return { file, bytes: await readFile(path.join(DATASET, "images", file)), ebikes };
    }),
  );
}

const frameIdOf = (bytes: Buffer) => `lf-${createHash("sha256").update(bytes).digest("hex").slice(0, 20)}`;

/** A command a site runs; it must succeed (promote, which exits 1 on a refusal, is read with `cli` itself). */
const cli = (args: string[]) => linli(args, { cwd: ROOT, timeoutMs: 240_000 });
async function ok(args: string[]): Promise<{ stdout: string }> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`linli ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r;
}

describe.skipIf(!existsSync(DATASET)).sequential("a simulated first week of site learning", () => {
  let influx: Influxd;
  let sim: SimulatedController;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let week: Truth[];
  const modelsDir = tempDir("week-models");
  const exportDir = tempDir("week-dataset");
  const detections: LiftDetection[] = [];
  const shadows: LiftDetection[] = [];
  const holds: HoldRecord[] = [];
  const shadowChanges: { to: string | null; ok: boolean }[] = [];

  beforeAll(async () => {
    week = await weekOfFrames();
    influx = await startInfluxd();
    sim = await startSimulatedController({ port: 0, lifts: [LIFT], timing: { doorDwellMs: 3_000, doorMoveMs: 300, msPerFloor: 400 }, minFloor: 1, maxFloor: 20 });
    gw = await startTestGateway({
      site: SITE,
      influx: { url: influx.url },
      alerts: { enabled: true, rules: { deviceSilent: false }, console: { accounts: [{ user: ADMIN.user, passwordHash: await hashPassword(ADMIN.password), role: "administrator" }] } },
      // the site's first model: COCO, which finds next to none of this camera's e-bikes
      detector: { enabled: true, modelsDir, mirror: path.join(SHARED, "models") },
      lift: { enabled: true, link: "opcua", opcua: { endpoint: sim.endpoint, reconnectInitialMs: 100, reconnectMaxMs: 1_000 }, lifts: { [LIFT]: {} }, frameStaleMs: 10_000 },
      // every door-open frame is kept: the week is 52 frames, not 52 days of them
      learning: { enabled: true, negativeChance: 1, capsPerLiftPerDay: { negative: 200, nearMiss: 200, hold: 200 } },
    });
    await gw.gateway.feature(detectorFeature)!.ready();
    gw.gateway.core.bus.on("lift.detection", (d) => void detections.push(d));
    gw.gateway.core.bus.on("lift.detection.shadow", (d) => void shadows.push(d));
    gw.gateway.core.bus.on("lift.hold", (h) => void holds.push(h));
    gw.gateway.core.bus.on("detector.shadow", (c) => void shadowChanges.push(c));
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    mkdirSync(artifacts, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await sim?.stop();
    await influx?.stop();
  });

  /** The doors stay open (a rider keeps the button pressed) while `work` runs. */
  async function doorsOpen<T>(work: () => Promise<T>): Promise<T> {
    sim.call(LIFT, sim.state(LIFT).floor);
    await waitFor("doors open", () => sim.state(LIFT).door === "open", 10_000);
    const press = setInterval(() => sim.call(LIFT, sim.state(LIFT).floor), 400);
    try {
      return await work();
    } finally {
      clearInterval(press);
    }
  }

  async function publish(frame: Truth): Promise<LiftDetection> {
    const before = detections.length;
    const camera = await gw.client();
    await camera.publishAsync(`linli/${SITE}/lift/${LIFT}/frame`, frame.bytes, { qos: 1 });
    await camera.endAsync();
    return waitFor(`a verdict on ${frame.file}`, () => detections.slice(before).find((d) => d.lift === LIFT), 20_000);
  }

  it("collects the week's frames from the camera, judged by the site's first model", async () => {
    const verdicts = await doorsOpen(async () => {
      const out: LiftDetection[] = [];
      for (const frame of week) out.push(await publish(frame));
      return out;
    });
    const baseFound = verdicts.filter((d, i) => d.ebike && week[i]!.ebikes.length > 0).length;
    // the COCO model misses the e-bikes of this camera: what site learning is for
    expect(baseFound).toBeLessThan(week.filter((f) => f.ebikes.length > 0).length / 4);
    const collected = new Set((await frameIds()).keys());
    // every frame was kept for labelling: door open, no e-bike call (negative) or a near miss
    expect(week.filter((f) => !collected.has(frameIdOf(f.bytes))).map((f) => f.file)).toEqual([]);
  }, 180_000);

  /** The queue as the signed-in browser sees it: id -> reason. */
  async function frameIds(): Promise<Map<string, string>> {
    if (!page.url().includes("/learning")) await signIn();
    const res = await page.request.get(`${gw.httpUrl}/api/learning/queue?state=all&limit=500`);
    expect(res.status()).toBe(200);
    const body = (await res.json()) as { frames: { id: string; reason: string }[] };
    return new Map(body.frames.map((f) => [f.id, f.reason]));
  }

  async function signIn(): Promise<void> {
    await page.goto(`${gw.httpUrl}/learning`);
    await page.fill("#user", ADMIN.user);
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    expect(new URL(page.url()).pathname).toBe("/learning");
    await page.waitForSelector('#canvas[data-image="loaded"]', { timeout: 15_000 });
  }

  it("staff label every frame on the labelling page: a drag per e-bike, N for a frame without", async () => {
    const truthById = new Map(week.map((f) => [frameIdOf(f.bytes), f]));
    await page.goto(`${gw.httpUrl}/learning`);
    await page.waitForSelector('#canvas[data-image="loaded"]', { timeout: 15_000 });
    const labelled = new Set<string>();
    for (let i = 0; i < week.length; i++) {
      const id = await page.locator("#canvas").getAttribute("data-frame");
      const truth = id ? truthById.get(id) : undefined;
      expect(truth, `the page shows a frame of the week (${id})`).toBeDefined();
      if (truth!.ebikes.length === 0) {
        await page.keyboard.press("n");
      } else {
        await page.click("#class-bar .cls-ebike");
        const r = (await page.locator("#canvas").boundingBox())!;
        for (const b of truth!.ebikes) {
          await page.mouse.move(r.x + b.x * r.width, r.y + b.y * r.height);
          await page.mouse.down();
          await page.mouse.move(r.x + (b.x + b.w) * r.width, r.y + (b.y + b.h) * r.height, { steps: 4 });
          await page.mouse.up();
        }
        if (i === 0) await page.screenshot({ path: path.join(artifacts, "site-learning-week-labelling.png") });
        await page.keyboard.press("s");
      }
      labelled.add(id!);
      if (i < week.length - 1) await page.waitForFunction((prev) => document.getElementById("canvas")?.dataset.frame !== prev && document.getElementById("canvas")?.dataset.image === "loaded", id, { timeout: 10_000 });
    }
    expect(labelled.size).toBe(week.length);
    await page.waitForFunction(() => /52/.test(document.getElementById("progress")?.textContent ?? ""), undefined, { timeout: 10_000 });
    // the labels the page stored are the data set's, within a few pixels of where the mouse went
    const res = await page.request.get(`${gw.httpUrl}/api/learning/queue?state=labelled&limit=500`);
    const frames = ((await res.json()) as { frames: { id: string; labels: { cls: string; x: number; y: number; w: number; h: number }[]; labelledBy: string }[] }).frames;
    expect(frames).toHaveLength(week.length);
    for (const f of frames) {
      const truth = truthById.get(f.id)!;
      expect(f.labelledBy).toBe(ADMIN.user);
      expect(f.labels.map((b) => b.cls)).toEqual(truth.ebikes.map(() => "ebike"));
      for (const [k, b] of f.labels.entries()) {
        const t = truth.ebikes[k]!;
        expect(Math.abs(b.x - t.x) + Math.abs(b.y - t.y) + Math.abs(b.w - t.w) + Math.abs(b.h - t.h)).toBeLessThan(0.03);
      }
    }
  }, 180_000);

  let candidate: { found: number; baseFound: number; flagged: number; accepted: boolean; stdout: string };

  it("exports the labels split by capture time, trains on the CPU, and promote judges the model on the held-back frames", async () => {
    const exported = await ok(["dataset", "export", "--out", exportDir, "--data-dir", gw.dataDir]);
    expect(exported.stdout).toMatch(/train\s+39 frames: 35 with an e-bike, 4 without/);
    expect(exported.stdout).toMatch(/heldout\s+13 frames: 12 with an e-bike, 1 without/);
    const started = Date.now();
    await ok([
      "models", "train", "--images", path.join(exportDir, "train/images"), "--labels", path.join(exportDir, "train/labels"),
      "--id", "week-1", "--models-dir", modelsDir, "--mirror", path.join(SHARED, "models"),
      "--seed", "1", "--epochs", "40", "--max-minutes", "1.25", "--patience", "40", "--threads", "2", "--batch", "8", "--test-share", "0",
      // the week is about the loop, not the second stage (test/training-train.test.ts tries that): it keeps the run short
      "--no-verifier",
    ]);
    expect(Date.now() - started).toBeLessThan(200_000);
    // promote exits 1 when it refuses: the comparison is printed either way
    // (2: it could not judge, which is a failure here)
    const promoted = await cli(["models", "promote", "week-1", "--heldout", path.join(exportDir, "heldout"), "--models-dir", modelsDir, "--mirror", path.join(SHARED, "models"), "--by", ADMIN.user]);
    expect([0, 1], promoted.stderr).toContain(promoted.code);
    /** "current x/y ... candidate x/y" of one line of the comparison */
    const figures = (label: RegExp): [number, number] => {
      const line = promoted.stdout.split("\n").find((l) => label.test(l)) ?? "";
      const counts = [...line.matchAll(/(\d+)\/\d+/g)].map((m) => Number(m[1]));
      expect(counts, `${label} in:\n${promoted.stdout}`).toHaveLength(2);
      return [counts[0]!, counts[1]!];
    };
    const [baseFound, found] = figures(/e-bike frames found/);
    const [baseFlagged, flagged] = figures(/without e-bike flagged/);
    candidate = { found, baseFound, flagged, accepted: promoted.code === 0, stdout: promoted.stdout };
    // the trained model finds e-bike frames the COCO model missed
    expect(found).toBeGreaterThan(baseFound + 6);
    // and the rule is applied as stated: promoted exactly when recall holds and no more clean frames are flagged
    expect(candidate.accepted).toBe(found >= baseFound && flagged <= baseFlagged);
    const record = await readActiveModel(modelsDir);
    expect(record?.model ?? "fastestdet-coco-352").toBe(candidate.accepted ? "week-1" : "fastestdet-coco-352");
    expect(await readFile(path.join(modelsDir, "promotions.jsonl"), "utf8")).toContain('"candidate":{"model":"week-1"');
  }, 400_000);

  it("the trained model judges live frames: as the active model when promoted, else in shadow mode, holding nothing", async () => {
    const heldBackEbike = week.filter((f) => f.file >= "1607035104" && f.ebikes.length > 0);
    if (!candidate.accepted) {
      await ok(["models", "shadow", "week-1", "--models-dir", modelsDir, "--by", ADMIN.user]);
      await waitFor("the shadow model loaded, without a restart", () => shadowChanges.some((c) => c.to === "week-1" && c.ok), 20_000);
      expect(gw.gateway.feature(detectorFeature)!.activeModel()).toBe("fastestdet-coco-352");
    } else {
      await waitFor("the promoted model judges, without a restart", () => gw.gateway.feature(detectorFeature)!.activeModel() === "week-1", 20_000);
    }
    const before = { detections: detections.length, shadows: shadows.length, holds: holds.length };
    await doorsOpen(async () => {
      for (let round = 0; round < 3; round++) {
        for (const f of heldBackEbike.slice(0, 4)) {
          await publish(f);
          if (!candidate.accepted) await waitFor(`the shadow's verdict on ${f.file}`, () => shadows.slice(before.shadows).some((s) => s.frameTs === detections[detections.length - 1]!.frameTs), 20_000);
        }
      }
    });
    const live = detections.slice(before.detections);
    if (candidate.accepted) {
      expect(live.every((d) => d.model === "week-1")).toBe(true);
      await waitFor("the guard holds on e-bike frames the COCO model missed", () => holds.slice(before.holds).some((h) => h.phase === "start"), 10_000);
    } else {
      const shadow = shadows.slice(before.shadows);
      expect(live.every((d) => d.model === "fastestdet-coco-352")).toBe(true);
      expect(shadow.every((d) => d.model === "week-1")).toBe(true);
      // the shadow calls e-bikes the active model missed, and nothing was held for them
      expect(shadow.filter((d) => d.ebike).length).toBeGreaterThan(live.filter((d) => d.ebike).length);
      expect(holds.slice(before.holds).filter((h) => h.phase === "start")).toHaveLength(0);
      // the frames where they disagree go back to the labelling queue
      const reasons = [...(await frameIds()).values()];
      expect(reasons).toContain("disagreement");
      await waitFor(
        "the shadow's verdicts in InfluxDB",
        async () => (await influx.query("linli", `SELECT count("ebike_score") FROM "lift_frame" WHERE "role" = 'shadow' AND "model" = 'week-1'`).catch(() => []))[0]?.values[0]?.[1] === shadow.length,
        15_000,
      );
    }
    await page.goto(`${gw.httpUrl}/learning`);
    await page.waitForSelector("#models");
    await page.screenshot({ path: path.join(artifacts, "site-learning-week-models.png"), fullPage: true });
  }, 180_000);
});
