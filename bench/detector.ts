/**
 * Detector benchmark (not a test: it prints figures, it asserts nothing).
 *
 * For each model, on a 1280x720 JPEG made from the bicycle photo (and (a)/(b) again on the 640x360
 * a camera's sub-stream sends, the width the RTSP path scales to):
 *   (a) session.run alone, on a tensor prepared beforehand;
 *   (b) the whole path, JPEG bytes to detections (Detector.detect);
 *   the decoding floor: the same JPEG decoded at 1/8 scale, the entropy decoding any path must do;
 *   their medians and p99s and the ratio b/a; then
 *   (c) 30 lifts sending 5 frames/s each at once through the detector extension (bus, latest-wins
 *       scheduler, detector): frames judged per second, stale frames dropped, receive-to-verdict
 *       latency, and how long the event loop (the MQTT ingest path) was ever kept waiting;
 * and at the end each model's whole path (b) against the first model's: a model trained by
 * `linli models train` has to stay within 2x of its base.
 *
 *   npm run bench:detector -- [--runs 200] [--threads 1] [--concurrency 2] [--seconds 10] [--mirror DIR]
 *                             [--models fastestdet-coco-352,my-trained-model --models-dir data/models]
 */
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { readFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import type { LiftFrame } from "../devices/lift.ts";
import type { DeviceEvent } from "../devices/types.ts";
import { detectorConfigSchema, type DetectorConfig } from "../gateway/detector/config.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import { openDetector } from "../gateway/detector/open.ts";
import { preprocess } from "../gateway/detector/preprocess.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { testCore } from "../test/core.ts";

const repoRoot = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    threads: { type: "string", default: "1" },
    concurrency: { type: "string", default: "2" },
    seconds: { type: "string", default: "10" },
    lifts: { type: "string", default: "30" },
    fps: { type: "string", default: "5" },
    mirror: { type: "string", default: path.resolve(repoRoot, "../shared/models") },
    models: { type: "string", default: "fastestdet-coco-352,yolox-nano-coco-416" },
    // where trained models (manifest + ONNX) are; base weights missing there are copied from --mirror
    "models-dir": { type: "string" },
  },
});
const RUNS = Number(args.runs);
const LIFTS = Number(args.lifts);
const FPS = Number(args.fps);
const SECONDS = Number(args.seconds);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

/**
 * Wall time of each call, and the process's CPU time per call (all threads: sharp's, onnxruntime's,
 * the event loop's). On a busy machine wall times stretch; CPU time per call much less so.
 */
async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[] & { cpuMs: number }> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up: thread pools, caches
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  return Object.assign(times, { cpuMs: (used.user + used.system) / 1000 / runs });
}

async function sequential(config: DetectorConfig, jpeg: Buffer) {
  const detector = await openDetector(config);
  const { manifest } = detector;
  const { tensor } = await preprocess(jpeg, manifest.input, config.maxInputPixels);
  // a session of its own, built as the detector builds its one, so session.run is timed with nothing around it
  const session = await ort.InferenceSession.create(path.join(path.resolve(config.modelsDir), manifest.file), {
    intraOpNumThreads: config.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const feeds = { [manifest.input.name ?? session.inputNames[0]!]: new ort.Tensor("float32", tensor, [1, 3, manifest.input.height, manifest.input.width]) };
  const run = await timed(RUNS, () => session.run(feeds));
  const pre = await timed(RUNS, () => preprocess(jpeg, manifest.input, config.maxInputPixels));
  const whole = await timed(RUNS, () => detector.detect(jpeg));
  // libjpeg's 1/8 scaling skips nearly all of the inverse DCT and colour work, leaving the entropy
  // decoding no decoder can skip: the least any preprocessing of this frame can take
  const { width = 0, height = 0 } = await sharp(jpeg).metadata();
  const floor = await timed(RUNS, () => sharp(jpeg, { ignoreIcc: true }).resize(Math.ceil(width / 8), Math.ceil(height / 8), { fit: "fill" }).raw().toBuffer());
  await session.release();
  await detector.close();
  return { run, pre, whole, floor };
}

/** 30 lifts at 5 frames/s each, through the extension exactly as the gateway runs it. */
async function underLoad(config: DetectorConfig, jpeg: Buffer) {
  let judged = 0;
  let faults = 0;
  const latency: number[] = [];
  // the gateway's own core services; the detector needs no broker, so the in-memory link of the tests
  const core = await testCore("bench");
  const bus = core.bus;
  bus.on("lift.detection", (d) => {
    judged++;
    latency.push(d.ts - d.frameTs);
  });
  bus.on("lift.detector.fault", () => faults++);
  const host = await FeatureHost.start(detectorFeature, core, config);
  await host.feature.ready();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let seq = 0;
  const started = performance.now();
  // every lift sends on its own phase, as independent cameras would
  const timers = Array.from({ length: LIFTS }, (_, i) =>
    setTimeout(() => {
      const send = () => {
        const now = Date.now();
        const frame: DeviceEvent<LiftFrame> = { site: "bench", kind: "lift", deviceId: `lift-${i}`, channel: "frame", ts: now, receivedAt: now, data: { image: jpeg, format: "jpeg", seq: seq++ } };
        bus.emit("device.event", frame);
      };
      send();
      timers[i] = setInterval(send, 1000 / FPS);
    }, (i * 1000) / FPS / LIFTS),
  );
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  for (const t of timers) clearInterval(t);
  const elapsed = (performance.now() - started) / 1000;
  lag.disable();
  const dropped = (await core.metrics.getSingleMetric("linli_detector_dropped_total")?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  await host.stop();
  await core.cleanup();
  return { offered: seq, judged, dropped, faults, fps: judged / elapsed, latency, lagMax: lag.max / 1e6, lagP99: lag.percentile(99) / 1e6 };
}

const source = await readFile(path.resolve(repoRoot, "../shared/images/bicycle-dog-porch.jpg"));
const jpeg = await sharp(source).resize(1280, 720, { fit: "fill" }).jpeg({ quality: 85 }).toBuffer();
const subStream = await sharp(source).resize(640, 360, { fit: "fill" }).jpeg({ quality: 85 }).toBuffer();
console.log(`linli detector bench: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, onnxruntime-node ${ort.env.versions.common}, sharp ${sharp.versions.sharp}`);
console.log(`frame: 1280x720 JPEG, ${(jpeg.length / 1024).toFixed(0)} KiB; ${RUNS} runs each; threads=${args.threads} concurrency=${args.concurrency}\n`);

const wholeMedians: Array<{ model: string; median: number }> = [];
for (const model of args.models.split(",")) {
  const config = detectorConfigSchema.parse({
    model,
    modelsDir: args["models-dir"] ?? mkdtempSync(path.join(os.tmpdir(), "linli-bench-")),
    mirror: args.mirror,
    threads: Number(args.threads),
    concurrency: Number(args.concurrency),
  });
  const { run, pre, whole, floor } = await sequential(config, jpeg);
  const small = await sequential(config, subStream);
  const load = await underLoad(config, jpeg);
  const m = (xs: number[]) => quantile(xs, 0.5);
  const p99 = (xs: number[]) => quantile(xs, 0.99);
  console.log(model);
  console.log(`  640x360 sub-stream: preprocess median ${ms(m(small.pre))}, whole path median ${ms(m(small.whole))} = ${(m(small.whole) / m(small.run)).toFixed(2)}x session.run (${ms(m(small.run))})`);
  console.log("  1280x720:");
  console.log(`  (a) session.run alone          median ${ms(m(run))}  p99 ${ms(p99(run))}  cpu ${ms(run.cpuMs)}/frame`);
  console.log(`      preprocess alone           median ${ms(m(pre))}  p99 ${ms(p99(pre))}  cpu ${ms(pre.cpuMs)}/frame`);
  console.log(`      decoding floor (1/8 scale)  median ${ms(m(floor))}  = ${(m(floor) / m(run)).toFixed(2)}x session.run: what no resize can save`);
  console.log(`  (b) JPEG bytes -> detections   median ${ms(m(whole))}  p99 ${ms(p99(whole))}  cpu ${ms(whole.cpuMs)}/frame`);
  console.log(`  ratio b/a                      median ${(m(whole) / m(run)).toFixed(2)}x  p99 ${(p99(whole) / p99(run)).toFixed(2)}x  cpu ${(whole.cpuMs / run.cpuMs).toFixed(2)}x`);
  console.log(`  ${LIFTS} lifts x ${FPS} frames/s for ${SECONDS} s: offered ${load.offered}, judged ${load.judged} (${load.fps.toFixed(1)} frames/s), dropped stale ${load.dropped}, faults ${load.faults}`);
  console.log(`      receive -> verdict          median ${ms(m(load.latency))}  p99 ${ms(p99(load.latency))}`);
  console.log(`      event loop delay            p99 ${ms(load.lagP99)}  max ${ms(load.lagMax)}\n`);
  wholeMedians.push({ model, median: m(whole) });
}

const [first, ...others] = wholeMedians;
for (const other of first ? others : []) {
  console.log(`whole path (b), median: ${other.model} ${ms(other.median)} = ${(other.median / first!.median).toFixed(2)}x ${first!.model} ${ms(first!.median)}`);
}
