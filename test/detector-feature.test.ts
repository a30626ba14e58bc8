import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LiftFrame } from "../devices/lift.ts";
import type { DeviceEvent } from "../devices/types.ts";
import type { DetectorConfig } from "../gateway/detector/config.ts";
import type { DetectorFault, LiftDetection } from "../gateway/detector/events.ts";
import { detectorFeature, type DetectorFeature } from "../gateway/detector/feature.ts";
import { FeatureHost, startFeatures } from "../gateway/feature-host.ts";
import { testCore, type TestCore } from "./core.ts";
import { BICYCLE, image, repoRoot, testConfig } from "./detector-fixtures.ts";

let cores: TestCore[] = [];

/** A core built as the gateway builds it, and the points and events it receives. */
async function fakeCore() {
  const core = await testCore("s1");
  cores.push(core);
  const { bus, points, metrics } = core;
  const detections: LiftDetection[] = [];
  const faults: DetectorFault[] = [];
  bus.on("lift.detection", (d) => detections.push(d));
  bus.on("lift.detector.fault", (f) => faults.push(f));
  const counter = async (name: string, labels: Record<string, string> = {}) => {
    const metric = metrics.getSingleMetric(name);
    if (!metric) return undefined;
    const values = (await metric.get()).values;
    return values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
  };
  return { core, bus, points, detections, faults, counter };
}

const T0 = 1_764_320_000_000;

function frame(lift: string, image: Buffer, seq: number): DeviceEvent<LiftFrame> {
  return { site: "s1", kind: "lift", deviceId: lift, channel: "frame", ts: T0 + seq, receivedAt: Date.now(), data: { image, format: "jpeg", seq } };
}

let running: FeatureHost<DetectorFeature>[] = [];
async function started(core: TestCore, config: DetectorConfig): Promise<FeatureHost<DetectorFeature>> {
  const host = await FeatureHost.start(detectorFeature, core, config);
  running.push(host);
  await host.feature.ready();
  return host;
}
afterEach(async () => {
  await Promise.all(running.map((h) => h.stop()));
  running = [];
  // a listener that threw on the bus fails the test here
  await Promise.all(cores.map((c) => c.cleanup()));
  cores = [];
});

describe("detector feature", () => {
  it("judges good frames of one lift while another lift sends garbage, and counts each rejection", async () => {
    const { core, bus, points, detections, faults, counter } = await fakeCore();
    await started(core, testConfig());
    const good = await image(BICYCLE);
    const garbage: Array<[string, Buffer]> = [
      ["corrupt", good.subarray(0, 20_000)],
      ["empty", Buffer.alloc(0)],
      // passes the ingest path's magic-number check, but is not a JPEG
      ["not_image", Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from("but then text")])],
      ["too_large", await sharp({ create: { width: 5472, height: 3648, channels: 3, background: "#555" } }).jpeg().toBuffer()],
    ];
    for (const [i, [, bad]] of garbage.entries()) {
      bus.emit("device.event", frame("lift-bad", bad, i + 1));
      bus.emit("device.event", frame("lift-good", good, i + 1));
      await vi.waitFor(() => expect(detections.length + faults.length).toBe(2 * (i + 1)), { timeout: 20_000 });
    }
    expect(faults.map((f) => [f.lift, f.scope, f.reason, f.seq])).toEqual(garbage.map(([reason], i) => ["lift-bad", "frame", reason, i + 1]));
    expect(detections.map((d) => [d.lift, d.seq, d.ebike])).toEqual([1, 2, 3, 4].map((seq) => ["lift-good", seq, true]));
    const first = detections[0]!;
    expect(first).toMatchObject({ site: "s1", frameTs: T0 + 1, model: "fastestdet-coco-352", frameWidth: 768, frameHeight: 576, dropped: 0 });
    expect(first.evidence?.image).toBe(good);
    expect(first.detections.some((d) => d.label === "bicycle" && d.ebike)).toBe(true);
    for (const [reason] of garbage) expect(await counter("linli_detector_rejected_total", { reason })).toBe(1);
    expect(await counter("linli_detector_judged_total")).toBe(4);
    expect(await counter("linli_detector_up")).toBe(1);
    expect(points).toHaveLength(4);
    expect(points[0]).toMatchObject({ measurement: "lift_frame", tags: { site: "s1", lift: "lift-good" }, ts: T0 + 1, fields: { ebike: true, dropped: 0 } });
    expect(points[0]!.fields.ebike_score).toBe(first.ebikeScore);
    expect(points[0]!.fields.detections).toBe(first.detections.length);
  });

  it("judges a lift's newest frame and drops the stale ones in between, counting them", async () => {
    const { core, bus, points, detections, counter } = await fakeCore();
    await started(core, testConfig({ concurrency: 1 }));
    const good = await image(BICYCLE);
    for (let seq = 1; seq <= 5; seq++) bus.emit("device.event", frame("lift-1", good, seq));
    await vi.waitFor(() => expect(detections).toHaveLength(2), { timeout: 20_000 });
    expect(detections.map((d) => [d.seq, d.dropped])).toEqual([
      [1, 0],
      [5, 3],
    ]);
    expect(points.map((p) => p.fields.dropped)).toEqual([0, 3]);
    expect(await counter("linli_detector_dropped_total", { reason: "stale" })).toBe(3);
  });

  it("judges every frame of a car that can be held, and one per idleJudgeMs of a closed or moving one, counting the rest", async () => {
    const { core, bus, points, detections, counter } = await fakeCore();
    const host = await started(core, testConfig({ concurrency: 1, idleJudgeMs: 2_500 }));
    const good = await image(BICYCLE);
    const car = (door: "open" | "closed", moving: boolean) => bus.emit("lift.car", { site: "s1", lift: "lift-1", ts: Date.now(), state: { floor: 3, door, moving, direction: moving ? "up" : "none", mode: "normal" } });
    const skipped = async () => ((await counter("linli_detector_skipped_total", { reason: "moving" })) ?? 0) + ((await counter("linli_detector_skipped_total", { reason: "doors_closed" })) ?? 0);
    /** one frame, and its outcome: a verdict, or counted as skipped (at once: frames wait for nothing) */
    const send = async (seq: number) => {
      const before = { judged: detections.length, skipped: await skipped() };
      bus.emit("device.event", frame("lift-1", good, seq));
      await vi.waitFor(async () => expect(detections.length > before.judged || (await skipped()) > before.skipped).toBe(true), { timeout: 10_000 });
    };
    car("closed", true);
    for (let seq = 1; seq <= 6; seq++) await send(seq);
    // moving with closed doors: the first frame is judged, the rest wait for the low rate
    expect(detections.map((d) => d.seq)).toEqual([1]);
    expect(await counter("linli_detector_skipped_total", { reason: "moving" })).toBe(5);
    car("open", false);
    for (let seq = 7; seq <= 9; seq++) await send(seq);
    expect(detections.map((d) => d.seq)).toEqual([1, 7, 8, 9]);
    car("closed", false);
    for (let seq = 10; seq <= 11; seq++) await send(seq);
    expect(detections.map((d) => d.seq)).toEqual([1, 7, 8, 9]);
    expect(await counter("linli_detector_skipped_total", { reason: "doors_closed" })).toBe(2);
    // another site's car says nothing about this site's lift
    bus.emit("lift.car", { site: "elsewhere", lift: "lift-1", ts: Date.now(), state: { floor: 3, door: "open", moving: false, direction: "none", mode: "normal" } });
    await send(12);
    expect(await counter("linli_detector_skipped_total", { reason: "doors_closed" })).toBe(3);
    // the skipped frames go to InfluxDB as counts per lift and reason, not a point per frame
    await host.stop();
    running = running.filter((h) => h !== host);
    const skips = points.filter((p) => p.measurement === "lift_frame_skip").map((p) => [p.tags.lift, p.tags.reason, p.fields.count]);
    expect(skips.sort()).toEqual([
      ["lift-1", "doors_closed", 3],
      ["lift-1", "moving", 5],
    ]);
  });

  it("without a model, starts anyway, reports a fault, and faults every frame instead of judging it", async () => {
    const { core, bus, detections, faults, counter } = await fakeCore();
    const host = await FeatureHost.start(detectorFeature, core, testConfig({ mirror: undefined, autoFetch: false }));
    running.push(host);
    await host.feature.ready();
    expect(faults).toEqual([expect.objectContaining({ scope: "detector", reason: "model_missing", detail: expect.stringMatching(/fastestdet-coco-352\.onnx is missing/) })]);
    expect(await counter("linli_detector_up")).toBe(0);
    bus.emit("device.event", frame("lift-1", await image(BICYCLE), 1));
    expect(faults[1]).toMatchObject({ scope: "detector", reason: "model_missing", lift: "lift-1", seq: 1 });
    expect(detections).toEqual([]);
    expect(await counter("linli_detector_faults_total", { reason: "model_missing" })).toBe(1);
  });

  it("reports a corrupt model file as model_corrupt", async () => {
    const { core, faults } = await fakeCore();
    const config = testConfig();
    await writeFile(path.join(config.modelsDir, "fastestdet-coco-352.onnx"), "truncated download");
    await started(core, config);
    expect(faults).toEqual([expect.objectContaining({ scope: "detector", reason: "model_corrupt" })]);
  });

  it("reports a model whose output does not fit its manifest as model_invalid", async () => {
    const { core, faults } = await fakeCore();
    const config = testConfig();
    const builtin = await readFile(path.join(repoRoot, "models/fastestdet-coco-352.yaml"), "utf8");
    // a site manifest that names the wrong family for these weights
    await writeFile(path.join(config.modelsDir, "fastestdet-coco-352.yaml"), builtin.replace("family: fastestdet", "family: yolox").replace("labels: coco-labels.txt", `labels: ${path.join(repoRoot, "models/coco-labels.txt")}`));
    await started(core, config);
    expect(faults).toEqual([expect.objectContaining({ scope: "detector", reason: "model_invalid", detail: expect.stringMatching(/yolox output has shape/) })]);
  });

  it("stop() removes its listener and metrics, so the detector can be started again", async () => {
    const { core, bus, detections, faults, counter } = await fakeCore();
    const config = testConfig();
    const host = await started(core, config);
    await host.stop();
    expect(await counter("linli_detector_judged_total")).toBeUndefined();
    bus.emit("device.event", frame("lift-1", await image(BICYCLE), 1));
    // a listener left behind would have answered that frame with a fault
    expect(faults).toEqual([]);
    await started(core, config);
    bus.emit("device.event", frame("lift-1", await image(BICYCLE), 2));
    await vi.waitFor(() => expect(detections).toHaveLength(1), { timeout: 20_000 });
    expect(detections[0]?.seq).toBe(2);
  });

  it("stop() during a model download that hangs returns without waiting for it", async () => {
    const { core, bus, detections, faults } = await fakeCore();
    // a server that takes the request and never answers
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const config = testConfig({ mirror: undefined });
      const builtin = await readFile(path.join(repoRoot, "models/fastestdet-coco-352.yaml"), "utf8");
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/FastestDet.onnx`;
      await writeFile(path.join(config.modelsDir, "fastestdet-coco-352.yaml"), builtin.replace(/^url: .*$/m, `url: ${url}`).replace("labels: coco-labels.txt", `labels: ${path.join(repoRoot, "models/coco-labels.txt")}`));
      const host = await FeatureHost.start(detectorFeature, core, config);
      bus.emit("device.event", frame("lift-1", await image(BICYCLE), 1));
      expect(faults).toEqual([expect.objectContaining({ scope: "detector", reason: "model_loading", lift: "lift-1" })]);
      await host.stop();
      bus.emit("device.event", frame("lift-1", await image(BICYCLE), 2));
      expect(faults).toHaveLength(1);
      expect(detections).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("is not even built when disabled", async () => {
    const { core, bus, detections, faults, counter } = await fakeCore();
    core.config.detector = testConfig({ enabled: false });
    expect(await startFeatures([detectorFeature], core)).toEqual([]);
    bus.emit("device.event", frame("lift-1", await image(BICYCLE), 1));
    expect(await counter("linli_detector_up")).toBeUndefined();
    expect([...detections, ...faults]).toEqual([]);
  });
});
