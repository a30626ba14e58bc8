import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import type { LiftFrame } from "../devices/lift.ts";
import type { DeviceEvent } from "../devices/types.ts";
import type { LiftDetection } from "../gateway/detector/events.ts";
import { readLabelledFolder } from "../gateway/detector/labels/folder.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { HttpServer } from "../gateway/http/server.ts";
import { learningConfigSchema } from "../gateway/learning/config.ts";
import { exportDataset, splitFrames } from "../gateway/learning/export.ts";
import { learningFeature, learningFramesFile } from "../gateway/learning/feature.ts";
import { FrameStore, type CollectedFrame } from "../gateway/learning/store.ts";
import { testCore, type TestCore } from "./core.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T0 = Date.now() - 3_600_000;

/** A distinct JPEG per n: one picture is one frame in the store. */
const jpeg = (n: number) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (n * 37) % 256, g: (n * 91) % 256, b: (n * 53) % 256 } } }).jpeg().toBuffer();

function frameEvent(lift: string, image: Buffer, ts: number): DeviceEvent<LiftFrame> {
  return { site: "s1", kind: "lift", deviceId: lift, channel: "frame", ts, receivedAt: Date.now(), data: { image, format: "jpeg" } };
}

function detection(lift: string, frameTs: number, score: number, image: Buffer | undefined, threshold = 0.5): LiftDetection {
  const box = { x: 16, y: 12, w: 32, h: 24 };
  return {
    site: "s1",
    lift,
    ts: Date.now(),
    frameTs,
    model: "m1",
    ebike: score >= threshold,
    ebikeScore: score,
    threshold,
    detections: score >= threshold ? [{ cls: 1, label: "motorbike", score, box, ebike: true }, { cls: 0, label: "person", score: 0.9, box, ebike: false }] : [],
    frameWidth: 64,
    frameHeight: 48,
    waitMs: 0,
    preprocessMs: 1,
    inferenceMs: 3,
    totalMs: 5,
    dropped: 0,
    ...(image && score > 0 ? { evidence: { image, format: "jpeg" as const } } : {}),
  };
}

/** Staff logins by header, so these tests are about the learning API, not about the console. */
const staff = {
  userOf: (req: IncomingMessage) => (typeof req.headers["x-user"] === "string" ? req.headers["x-user"] : undefined),
  roleOf: (req: IncomingMessage) => (req.headers["x-user"] === "admin" ? ("administrator" as const) : req.headers["x-user"] ? ("guard" as const) : undefined),
  displayNameOf: (req: IncomingMessage) => (typeof req.headers["x-user"] === "string" ? req.headers["x-user"] : undefined),
};

async function rig(config: Record<string, unknown> = {}) {
  const core: TestCore = await testCore("s1");
  core.staff.provide(staff);
  const cfg = learningConfigSchema.parse({ negativeChance: 1, capsPerLiftPerDay: { nearMiss: 3, negative: 2 }, ...config });
  let host = await FeatureHost.start(learningFeature, core, cfg);
  const server = await HttpServer.start(core.http, "127.0.0.1", 0, core.log);
  cleanups.push(() => core.cleanup(), () => host.stop(), () => server.close());
  const url = `http://127.0.0.1:${server.port}`;
  const api = (p: string, init: RequestInit & { user?: string } = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { "content-type": "application/json", ...(init.user ? { "x-user": init.user } : {}) } });
  const queue = async (query = "state=all") => (await (await api(`/api/learning/queue?${query}`, { user: "wang" })).json()) as { frames: (CollectedFrame & { imageUrl: string })[]; progress: Record<string, number>; lifts: string[] };
  const restart = async () => {
    await host.stop();
    host = await FeatureHost.start(learningFeature, core, cfg);
  };
  return { core, api, queue, restart };
}

describe("site learning: which frames are kept", () => {
  it("keeps near misses and door-open negatives up to their caps, never a closed-door negative", async () => {
    const { core, queue } = await rig();
    const { bus } = core;
    for (let i = 0; i < 5; i++) {
      const image = await jpeg(i);
      bus.emit("device.event", frameEvent("L1", image, T0 + i));
      bus.emit("lift.detection", detection("L1", T0 + i, 0.3, image));
    }
    // doors closed: a frame without a candidate is not a negative worth keeping
    bus.emit("lift.car", { site: "s1", lift: "L1", ts: Date.now(), state: { floor: 3, door: "closed", moving: true, direction: "up", mode: "normal" } });
    const closed = await jpeg(10);
    bus.emit("device.event", frameEvent("L1", closed, T0 + 10));
    bus.emit("lift.detection", detection("L1", T0 + 10, 0, undefined));
    bus.emit("lift.car", { site: "s1", lift: "L1", ts: Date.now(), state: { floor: 3, door: "open", moving: false, direction: "none", mode: "normal" } });
    for (let i = 11; i < 15; i++) {
      const image = await jpeg(i);
      bus.emit("device.event", frameEvent("L1", image, T0 + i));
      bus.emit("lift.detection", detection("L1", T0 + i, 0, undefined));
    }
    // another site's frames are none of this gateway's business
    bus.emit("lift.detection", { ...detection("L1", T0 + 20, 0.3, await jpeg(20)), site: "elsewhere" });
    const { frames } = await queue();
    const reasons = frames.map((f) => f.reason).sort();
    expect(reasons).toEqual(["near_miss", "near_miss", "near_miss", "negative", "negative"]);
    expect(frames.find((f) => f.capturedAt === T0 + 10)).toBeUndefined();
    const skipped = (await core.metrics.getSingleMetric("linli_learning_frames_skipped_total")!.get()).values;
    expect(skipped.filter((v) => v.labels.why === "cap").map((v) => [v.labels.reason, v.value]).sort()).toEqual([
      ["near_miss", 2],
      ["negative", 2],
    ]);
  });

  it("keeps a hold's trigger frame and later frames only when they score higher, up to holdFrames; verdicts label them", async () => {
    const { core, queue } = await rig({ holdFrames: 3 });
    const { bus } = core;
    const send = async (n: number, score: number) => {
      const image = await jpeg(n);
      bus.emit("device.event", frameEvent("L2", image, T0 + n));
      bus.emit("lift.detection", detection("L2", T0 + n, score, image));
    };
    await send(1, 0.8);
    await send(2, 0.6);
    const hold = { site: "s1", lift: "L2", holdId: "L2-h1", ts: Date.now(), startedAt: Date.now(), reason: "ebike", peakScore: 0.8 } as const;
    bus.emit("lift.hold", { ...hold, phase: "start" });
    await send(3, 0.7); // lower than the trigger: not kept
    await send(4, 0.9);
    await send(5, 0.95);
    await send(6, 0.99); // the hold has its three frames
    bus.emit("lift.hold", { ...hold, phase: "end", endReason: "staff", durationMs: 5_000 });
    const held = (await queue()).frames.filter((f) => f.holdId === "L2-h1");
    expect(held.map((f) => f.score).sort()).toEqual([0.8, 0.9, 0.95]);
    expect(held.every((f) => f.reason === "hold" && f.labels === null)).toBe(true);
    // the model's boxes come normalised to the frame, e-bike calls as "ebike"
    expect(held[0]!.predictions).toEqual([
      { cls: "ebike", score: held[0]!.score, x: 0.25, y: 0.25, w: 0.5, h: 0.5 },
      { cls: "person", score: 0.9, x: 0.25, y: 0.25, w: 0.5, h: 0.5 },
    ]);

    bus.emit("lift.staff", { site: "s1", lift: "L2", ts: Date.now(), action: "release", by: "wang", via: "http", result: "released", holdId: "L2-h1", verdict: "ebike" });
    const confirmed = (await queue()).frames.filter((f) => f.holdId === "L2-h1");
    expect(confirmed.every((f) => f.verdict === "ebike" && f.labelSource === "verdict" && f.labelledBy === "wang")).toBe(true);
    expect(confirmed[0]!.labels).toEqual([{ cls: "ebike", x: 0.25, y: 0.25, w: 0.5, h: 0.5 }]);
    // staff change their mind: a false hold labels its frames as holding no e-bike
    bus.emit("lift.staff", { site: "s1", lift: "L2", ts: Date.now(), action: "release", by: "li", via: "mqtt", result: "released", holdId: "L2-h1", verdict: "no_ebike" });
    expect((await queue()).frames.filter((f) => f.holdId === "L2-h1").map((f) => [f.verdict, f.labels])).toEqual([
      ["no_ebike", []],
      ["no_ebike", []],
      ["no_ebike", []],
    ]);
  });
});

describe("site learning: the labelling API", () => {
  it("needs a login, serves the picture, takes valid labels only, marks a lift's frame, and lets only an administrator delete", async () => {
    const { core, api, queue } = await rig();
    const image = await jpeg(1);
    core.bus.emit("device.event", frameEvent("L3", image, T0 + 1));
    core.bus.emit("lift.detection", detection("L3", T0 + 1, 0.4, image));
    expect((await api("/api/learning/queue")).status).toBe(401);

    const [frame] = (await queue("state=unlabelled&order=uncertain")).frames;
    expect(frame).toMatchObject({ lift: "L3", reason: "near_miss", score: 0.4, threshold: 0.5, width: 64, height: 48, labels: null });
    expect((await api(frame!.imageUrl)).status).toBe(401);
    const picture = await api(frame!.imageUrl, { user: "wang" });
    expect(picture.headers.get("content-type")).toBe("image/jpeg");
    expect(Buffer.from(await picture.arrayBuffer())).toEqual(image);

    const put = (boxes: unknown, user = "wang") => api(`/api/learning/frames/${frame!.id}/labels`, { method: "PUT", user, body: JSON.stringify({ boxes }) });
    const unknown = await put([{ cls: "scooter", x: 0.1, y: 0.1, w: 0.2, h: 0.2 }]);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/boxes\.0\.cls/);
    expect((await put([{ cls: "ebike", x: 0.9, y: 0.1, w: 0, h: 0.2 }])).status).toBe(400);
    const ok = await put([{ cls: "bicycle", x: 0.1, y: 0.2, w: 0.3, h: 0.4 }]);
    expect(ok.status).toBe(200);
    const saved = (await queue("state=labelled")).frames;
    expect(saved.map((f) => [f.id, f.labels, f.labelledBy, f.labelSource])).toEqual([[frame!.id, [{ cls: "bicycle", x: 0.1, y: 0.2, w: 0.3, h: 0.4 }], "wang", "staff"]]);
    const { progress } = await queue();
    expect(progress).toMatchObject({ labelled: 1, unlabelled: 0, labelledToday: 1, toGoToday: 0 });

    // marking: the lift's latest frame, judged or not
    expect((await api("/api/learning/mark", { method: "POST", user: "wang", body: JSON.stringify({ lift: "nowhere" }) })).status).toBe(404);
    const latest = await jpeg(2);
    core.bus.emit("device.event", frameEvent("L3", latest, T0 + 2));
    const marked = await api("/api/learning/mark", { method: "POST", user: "wang", body: JSON.stringify({ lift: "L3" }) });
    expect(marked.status).toBe(200);
    const markedFrame = ((await marked.json()) as { frame: CollectedFrame }).frame;
    expect(markedFrame).toMatchObject({ reason: "marked", capturedAt: T0 + 2, width: 64, height: 48, predictions: [] });

    const del = (user: string) => api(`/api/learning/frames/${markedFrame.id}`, { method: "DELETE", user });
    expect((await del("wang")).status).toBe(403);
    const evidenceId = core.evidence.bySha256((await import("../gateway/evidence/store.ts")).sha256Hex(latest))!.id;
    expect((await del("admin")).status).toBe(200);
    expect(core.evidence.get(evidenceId)).toBeUndefined();
    expect((await queue()).frames.map((f) => f.id)).toEqual([frame!.id]);
  });

  it("forgets frames whose pictures the evidence retention deleted", async () => {
    const { core, queue, restart } = await rig();
    const image = await jpeg(1);
    core.bus.emit("lift.detection", detection("L4", T0 + 1, 0.3, image));
    expect((await queue()).frames).toHaveLength(1);
    core.evidence.purge(Date.now() + 1);
    await restart(); // the sweep runs at start and hourly
    expect((await queue()).frames).toHaveLength(0);
    expect(existsSync(learningFramesFile(core.dataDir))).toBe(true);
  });
});

describe("site learning: dataset export", () => {
  it("splits per lift by capture time, holds back named lifts whole, and writes folders models train and eval read", async () => {
    const { core } = await rig();
    const store = new FrameStore(path.join(core.dataDir, "export-test.db"));
    const out = await mkdtemp(path.join(tmpdir(), "linli-export-"));
    cleanups.push(async () => {
      store.close();
      await rm(out, { recursive: true, force: true });
    });
    const add = async (lift: string, n: number, ebike: boolean) => {
      const bytes = await jpeg(100 + n);
      const ev = core.evidence.put(bytes, { source: "site-learning", subject: "test" });
      const f = store.add({ lift, capturedAt: T0 + n * 60_000, reason: "near_miss", evidenceId: ev.id, sha256: ev.sha256, width: 64, height: 48, model: "m1", threshold: 0.5, score: 0.3, predictions: [], createdAt: Date.now() });
      store.setLabels(f.id, ebike ? [{ cls: "ebike", x: 0.25, y: 0.25, w: 0.5, h: 0.5 }] : [{ cls: "stroller", x: 0, y: 0, w: 0.5, h: 0.5 }], "wang", "staff", Date.now());
    };
    for (let n = 0; n < 8; n++) await add("A", n, n % 2 === 0);
    for (let n = 0; n < 4; n++) await add("B", 20 + n, n < 2);
    await add("C", 40, true); // a single frame trains
    // an unlabelled frame is not exported
    store.add({ lift: "A", capturedAt: T0, reason: "negative", evidenceId: "ev-x", sha256: "f".repeat(64), width: 1, height: 1, model: "m1", threshold: 0.5, score: 0, predictions: [], createdAt: Date.now() });

    const split = splitFrames(store.labelled(), { heldoutShare: 0.25, heldoutLifts: [] });
    expect(split.heldout.map((f) => [f.lift, (f.capturedAt - T0) / 60_000])).toEqual([
      ["A", 6],
      ["A", 7],
      ["B", 23],
    ]);
    const summary = await exportDataset(store, core.evidence, { out, heldoutShare: 0.25, heldoutLifts: ["B"] });
    expect(summary.train).toEqual({ frames: 7, ebikeFrames: 4, cleanFrames: 3, lifts: ["A", "C"] });
    expect(summary.heldout).toEqual({ frames: 6, ebikeFrames: 3, cleanFrames: 3, lifts: ["A", "B"] });
    expect(summary.heldoutSince.A).toBe(Math.floor((T0 + 6 * 60_000) / 1000));

    const heldout = await readLabelledFolder(path.join(out, "heldout", "images"), path.join(out, "heldout", "labels"));
    expect(heldout.format).toBe("yolo");
    expect(heldout.images).toHaveLength(6);
    const first = heldout.images.find((im) => im.name.includes("-A-"))!;
    expect(first.name).toMatch(/^\d{10}-A-lf-[0-9a-f]{20}\.jpg$/);
    expect(first.boxes).toEqual([{ cls: "ebike", x: 0.25, y: 0.25, w: 0.5, h: 0.5 }]);
    expect(JSON.parse(await readFile(path.join(out, "dataset.json"), "utf8"))).toMatchObject({ heldoutLifts: ["B"], train: { frames: 7 } });
  });
});
