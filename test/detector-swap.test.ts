import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LiftFrame } from "../devices/lift.ts";
import type { DeviceEvent } from "../devices/types.ts";
import { activeModelFile, writeActiveModel, type ActiveModelRecord } from "../gateway/detector/active-model.ts";
import type { DetectorConfig } from "../gateway/detector/config.ts";
import type { DetectorFault, DetectorModelChange, DetectorShadowChange, LiftDetection, ShadowDetection } from "../gateway/detector/events.ts";
import { detectorFeature, type DetectorFeature } from "../gateway/detector/feature.ts";
import { DetectorLease } from "../gateway/detector/lease.ts";
import { openDetector } from "../gateway/detector/open.ts";
import type { Detection } from "../gateway/detector/types.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { testCore, type TestCore } from "./core.ts";
import { BICYCLE, image, NEGATIVES, testConfig } from "./detector-fixtures.ts";

const OLD = "fastestdet-coco-352";
const NEW = "yolox-nano-coco-416";
const T0 = 1_764_320_000_000;

const record = (model: string, extra: Partial<ActiveModelRecord> = {}): ActiveModelRecord => ({ model, previous: [], changedAt: Date.now(), by: "test", reason: "test", ...extra });

function frame(lift: string, bytes: Buffer, seq: number): DeviceEvent<LiftFrame> {
  return { site: "s1", kind: "lift", deviceId: lift, channel: "frame", ts: T0 + seq, receivedAt: Date.now(), data: { image: bytes, format: "jpeg", seq } };
}

let cores: TestCore[] = [];
let hosts: FeatureHost<DetectorFeature>[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
  await Promise.all(cores.map((c) => c.cleanup()));
  cores = [];
});

/** A detector feature on a test core, and everything it says on the bus, in the order it said it. */
async function detectorOn(config: DetectorConfig) {
  const core = await testCore("s1");
  cores.push(core);
  const detections: LiftDetection[] = [];
  const shadows: ShadowDetection[] = [];
  const faults: DetectorFault[] = [];
  const changes: DetectorModelChange[] = [];
  const shadowChanges: DetectorShadowChange[] = [];
  core.bus.on("lift.detection", (d) => detections.push(d));
  core.bus.on("lift.detection.shadow", (d) => shadows.push(d));
  core.bus.on("lift.detector.fault", (f) => faults.push(f));
  core.bus.on("detector.model", (c) => changes.push(c));
  core.bus.on("detector.shadow", (c) => shadowChanges.push(c));
  const host = await FeatureHost.start(detectorFeature, core, config);
  hosts.push(host);
  await host.feature.ready();
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const values = (await core.metrics.getSingleMetric(name)?.get())?.values ?? [];
    return values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);
  };
  return { core, feature: host.feature, detections, shadows, faults, changes, shadowChanges, metric };
}

const fingerprint = (verdict: { detections: Detection[] }) => verdict.detections.map((d) => `${d.label} ${d.score.toFixed(4)}`).join(", ");

const photos = () => Promise.all([BICYCLE, ...NEGATIVES].map(image));

describe("detector model swap without a restart", () => {
  it("a swap under load judges every frame exactly once", async () => {
    const config = testConfig({ concurrency: 2 });
    const images = await photos();
    // what each model makes of each photo, so every verdict can be checked against the model it names
    const expected = new Map<string, string[]>();
    for (const model of [OLD, NEW]) {
      const detector = await openDetector({ ...config, model });
      const seen: string[] = [];
      for (const bytes of images) seen.push(fingerprint(await detector.detect(bytes)));
      expected.set(model, seen);
      await detector.close();
    }
    for (const i of images.keys()) expect(expected.get(OLD)![i]).not.toBe(expected.get(NEW)![i]);
    const { core, feature, detections, faults, changes } = await detectorOn(config);
    expect(feature.activeModel()).toBe(OLD);
    // one log of what happened, in order, to tell "before the swap" from "after"
    let clock = 0;
    const submittedAt = new Map<number, number>();
    const judgedAt = new Map<number, number>();
    let swapAt = Infinity;
    core.bus.on("detector.model", () => (swapAt = ++clock));
    core.bus.on("lift.detection", (d) => judgedAt.set(d.seq!, ++clock));

    let seq = 0;
    let sending = true;
    const send = (lift: string) => {
      const s = ++seq;
      submittedAt.set(s, ++clock);
      core.bus.emit("device.event", frame(lift, images[s % images.length]!, s));
    };
    // a lift's next frame goes only after its previous verdict, so latest-wins never drops one
    core.bus.on("lift.detection", (d) => {
      if (sending) setImmediate(() => send(d.lift));
    });
    const lifts = Array.from({ length: 6 }, (_, i) => `lift-${i + 1}`);
    for (const lift of lifts) send(lift);

    await vi.waitFor(() => expect(detections.length).toBeGreaterThanOrEqual(12), { timeout: 20_000 });
    await writeActiveModel(config.modelsDir, record(NEW, { previous: [OLD] }));
    // frames keep coming during the load; stop once every lift has had two verdicts from the new model
    await vi.waitFor(() => expect(lifts.every((l) => detections.filter((d) => d.lift === l && d.model === NEW).length >= 2)).toBe(true), { timeout: 30_000 });
    sending = false;
    await vi.waitFor(() => expect(judgedAt.size).toBe(submittedAt.size), { timeout: 20_000 });

    expect(faults).toEqual([]);
    expect(changes).toEqual([expect.objectContaining({ from: OLD, to: NEW, ok: true })]);
    // none lost, none twice
    expect(detections.map((d) => d.seq).sort((a, b) => a! - b!)).toEqual([...submittedAt.keys()].sort((a, b) => a - b));
    const before = detections.filter((d) => judgedAt.get(d.seq!)! < swapAt);
    const after = detections.filter((d) => judgedAt.get(d.seq!)! > swapAt);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((d) => d.model === OLD)).toBe(true);
    // every frame sent after the swap is the new model's; old verdicts after it are frames that were already on the old model
    expect(detections.filter((d) => submittedAt.get(d.seq!)! > swapAt).every((d) => d.model === NEW)).toBe(true);
    expect(after.filter((d) => d.model === OLD).length).toBeLessThanOrEqual(config.concurrency);
    for (const lift of lifts) {
      const models = detections.filter((d) => d.lift === lift).map((d) => d.model);
      expect(models.slice(models.indexOf(NEW)).every((m) => m === NEW)).toBe(true);
    }
    for (const d of detections) expect(fingerprint(d), `seq ${d.seq}`).toBe(expected.get(d.model)![d.seq! % images.length]);
    expect(feature.activeModel()).toBe(NEW);
    // one active lift_frame point per verdict, under the model that gave it
    expect(core.points.map((p) => `${p.tags.model}/${p.tags.role}`).sort()).toEqual(detections.map((d) => `${d.model}/active`).sort());
  });

  it("a model that does not load, or an unreadable record, leaves the old model judging", async () => {
    const config = testConfig();
    const { core, feature, detections, faults, changes } = await detectorOn(config);
    await writeActiveModel(config.modelsDir, record("no-such-model", { previous: [OLD] }));
    await vi.waitFor(() => expect(changes).toHaveLength(1), { timeout: 10_000 });
    expect(changes[0]).toMatchObject({ from: OLD, to: "no-such-model", ok: false, detail: expect.stringMatching(/no manifest for model "no-such-model".*fastestdet-coco-352 judges on/) });

    await writeFile(activeModelFile(config.modelsDir), '{"model": "yolox-nano-coco-416", ');
    await vi.waitFor(() => expect(changes).toHaveLength(2), { timeout: 10_000 });
    expect(changes[1]).toMatchObject({ from: OLD, to: OLD, ok: false, detail: expect.stringMatching(/active\.json is not valid JSON/) });

    core.bus.emit("device.event", frame("lift-1", await image(BICYCLE), 1));
    await vi.waitFor(() => expect(detections).toHaveLength(1), { timeout: 10_000 });
    expect(detections[0]).toMatchObject({ seq: 1, model: OLD, ebike: true });
    expect(feature.activeModel()).toBe(OLD);
    expect(faults).toEqual([]);
  });

  it("a shadow judges the same frames beside the active model, holding nothing, and stops without a restart", async () => {
    const config = testConfig({ shadow: NEW });
    const { core, detections, shadows, faults, shadowChanges, metric } = await detectorOn(config);
    await vi.waitFor(() => expect(shadowChanges).toEqual([expect.objectContaining({ from: null, to: NEW, ok: true })]), { timeout: 10_000 });
    const images = await photos();
    let seq = 0;
    for (let round = 0; round < 4; round++) {
      const sent: Array<DeviceEvent<LiftFrame>> = ["lift-1", "lift-2"].map((lift) => frame(lift, images[++seq % images.length]!, seq));
      for (const f of sent) core.bus.emit("device.event", f);
      await vi.waitFor(() => expect(detections).toHaveLength(seq), { timeout: 10_000 });
    }
    // every active verdict was handed to the shadow, which judged it or skipped it as stale
    await vi.waitFor(async () => expect((await metric("linli_detector_shadow_judged_total", { model: NEW })) + (await metric("linli_detector_shadow_dropped_total", { model: NEW }))).toBe(seq), { timeout: 10_000 });
    expect(shadows.length).toBeGreaterThanOrEqual(2);
    expect(await metric("linli_detector_shadow_judged_total", { model: NEW })).toBe(shadows.length);
    expect(shadows.every((s) => s.model === NEW && Buffer.isBuffer(s.evidence.image) && s.evidence.format === "jpeg")).toBe(true);
    // the shadow saw the very bytes the active model judged
    expect(shadows.every((s) => s.evidence.image === images[s.seq! % images.length])).toBe(true);
    expect(detections.every((d) => d.model === OLD)).toBe(true);
    expect(core.points.filter((p) => p.tags.role === "shadow").map((p) => p.tags.model)).toEqual(shadows.map(() => NEW));
    expect(core.points.filter((p) => p.tags.role === "active")).toHaveLength(detections.length);
    expect(await metric("linli_detector_model", { role: "shadow", model: NEW })).toBe(1);
    expect(faults).toEqual([]);

    // once active.json exists it decides the shadow, over detector.shadow
    await writeActiveModel(config.modelsDir, record(OLD));
    await vi.waitFor(() => expect(shadowChanges.at(-1)).toMatchObject({ from: NEW, to: null, ok: true }), { timeout: 10_000 });
    const judgedBefore = shadows.length;
    core.bus.emit("device.event", frame("lift-1", images[0]!, ++seq));
    await vi.waitFor(() => expect(detections).toHaveLength(seq), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(shadows).toHaveLength(judgedBefore);
    expect(await metric("linli_detector_model", { role: "shadow" })).toBe(0);
  });

  it("a retired detector finishes the frames on it, then closes", async () => {
    const bytes = await image(BICYCLE);
    const lease = new DetectorLease(OLD, await openDetector(testConfig()));
    const running = [lease.use((d) => d.detect(bytes)), lease.use((d) => d.detect(bytes))];
    const closed = lease.retire();
    await expect(lease.use((d) => d.detect(bytes))).rejects.toThrow(/retired/);
    const results = await Promise.all(running);
    expect(results.every((r) => r.ebike)).toBe(true);
    await closed;
    await expect(lease.detector.detect(bytes)).rejects.toThrow(/no inference worker is running/);
  });
});
