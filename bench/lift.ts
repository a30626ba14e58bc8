/**
 * Lift guard benchmark (not a test: it prints figures, it asserts nothing).
 *
 * 30 simulated lifts (one real OPC UA server on 127.0.0.1), all doors open, and for each round every
 * lift's camera switches from clear frames to e-bike frames at the same moment. Measured per lift:
 * the publish time of its first e-bike frame to the moment the simulated controller accepted the
 * HoldUntil write it caused, and where that time went, stage by stage. The controller and the
 * cameras run in a process of their own (bench/lift-rig.ts), as they are separate devices on a site:
 * the gateway's event loop is not shared with them.
 *
 *   --mode full   camera MQTT publish -> embedded broker -> ingest -> detector (real weights, real
 *                 photo) -> guard -> OPC UA write, with confirmation 1 of 1 so the first e-bike
 *                 frame judged triggers the hold (`--confirm 3/5`, the guard's default, measures
 *                 the wait for the confirming frames too)
 *   --mode guard  detector verdicts injected on the bus: the guard and the OPC UA link alone
 *
 *   npm run bench:lift -- [--mode full|guard] [--confirm 1/1] [--lifts 30] [--rounds 5] [--fps 2] [--model fastestdet-coco-352]
 *                         [--concurrency 2] [--mirror ../shared/models]
 *   (or: node --import tsx bench/lift.ts ...)
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseConfig } from "../gateway/config.ts";
import type { LiftDetection } from "../gateway/detector/events.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import { Gateway } from "../gateway/gateway.ts";
import { createLogger } from "../gateway/log.ts";
import { liftFeature } from "../gateway/lift/feature.ts";
import { freePort } from "../test/services/ports.ts";
import type { RigCommand, RigReport } from "./lift-rig.ts";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "full" },
    lifts: { type: "string", default: "30" },
    rounds: { type: "string", default: "5" },
    fps: { type: "string", default: "2" },
    confirm: { type: "string", default: "1/1" },
    model: { type: "string", default: "fastestdet-coco-352" },
    concurrency: { type: "string", default: "2" },
    mirror: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/models") },
    images: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/images") },
  },
});
const LIFTS = Number(args.lifts);
const ROUNDS = Number(args.rounds);
const FPS = Number(args.fps);
const [confirmN, confirmM] = args.confirm.split("/").map(Number) as [number, number];
const full = args.mode === "full";
const SITE = "bench";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const loadAtStart = os.loadavg()[0]!.toFixed(1); // other work on the machine skews every figure below

const rig = fork(path.join(import.meta.dirname, "lift-rig.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
const reports: RigReport[] = [];
let wake: (() => void) | undefined;
rig.on("message", (m: RigReport) => {
  reports.push(m);
  wake?.();
});
rig.on("exit", (code) => {
  if (code !== 0) {
    console.error(`the controller and camera process exited (code ${code})`);
    process.exit(1);
  }
});
const tell = (c: RigCommand) => rig.send(c);
async function next<T extends RigReport["type"]>(type: T): Promise<Extract<RigReport, { type: T }>> {
  for (;;) {
    const i = reports.findIndex((r) => r.type === type);
    if (i >= 0) return reports.splice(i, 1)[0] as Extract<RigReport, { type: T }>;
    await new Promise<void>((r) => (wake = r));
  }
}

tell({ type: "start", lifts: LIFTS, images: args.images });
const { endpoint, ids } = await next("ready");

const dataDir = mkdtempSync(path.join(os.tmpdir(), "linli-bench-lift-"));
const brokerPort = await freePort();
const config = parseConfig({
  site: SITE,
  logLevel: "silent",
  dataDir,
  broker: { port: brokerPort },
  http: { enabled: false },
  influx: { enabled: false },
  alerts: { enabled: false },
  // the bicycle photo stands in for an e-bike (the COCO model maps only motorbike to e-bike)
  detector: { enabled: full, model: args.model, mirror: args.mirror, modelsDir: path.join(dataDir, "models"), concurrency: Number(args.concurrency), threads: 1, ebikeClasses: ["bicycle", "motorbike"] },
  lift: {
    opcua: { endpoint },
    lifts: Object.fromEntries(ids.map((id) => [id, {}])),
    confirmN,
    confirmM,
    clearReleaseMs: 600,
    frameStaleMs: 10_000,
    announceRepeatMs: 0,
  },
});
// the gateway's own wiring: config keys `detector` and `lift`
const gateway = await Gateway.start(config, { log: createLogger("silent") });
const core = gateway.core;
const guard = gateway.feature(liftFeature);
if (!guard) throw new Error("the gateway did not start the lift guard");
await gateway.feature(detectorFeature)?.ready();
const deadline = Date.now() + 30_000;
while (!ids.every((id) => guard.status()[id]?.car?.door === "open")) {
  if (Date.now() > deadline) throw new Error("doors not all open over OPC UA");
  await sleep(50);
}

/** per judged e-bike frame: gateway receive -> verdict (ingest queue, detector queue, inference) */
const verdictMs: number[] = [];
const guardHist: number[] = [];
/** per hold: the triggering verdict -> hold acknowledged (guard + OPC UA) */
const verdictToAck: number[] = [];
const lastEbike = new Map<string, LiftDetection>();
/** each hold's start, with the verdict that triggered it */
const holdStarts: Array<{ lift: string; verdict: LiftDetection | undefined }> = [];
core.bus.on("lift.detection", (d) => {
  if (!d.ebike) return;
  verdictMs.push(d.ts - d.frameTs);
  lastEbike.set(d.lift, d);
});
core.bus.on("lift.hold", (h) => {
  if (h.phase !== "start") return;
  const verdict = lastEbike.get(h.lift);
  holdStarts.push({ lift: h.lift, verdict });
  if (h.latencyMs !== undefined) guardHist.push(h.latencyMs);
  if (verdict) verdictToAck.push(h.startedAt - verdict.ts);
});
if (!full) {
  // verdicts injected as the detector would send them, when the rig's cameras would have sent frames
  rig.on("message", (m: RigReport) => {
    if (m.type !== "frames") return;
    const t = Date.now();
    for (const id of ids) {
      core.bus.emit("lift.detection", {
        site: SITE, lift: id, ts: t, frameTs: t, model: "injected", ebike: m.ebike, ebikeScore: m.ebike ? 0.9 : 0.05, threshold: 0.5,
        detections: [], frameWidth: 1280, frameHeight: 720, waitMs: 0, preprocessMs: 0, inferenceMs: 0, totalMs: 0, dropped: 0,
      });
    }
  });
}

tell({ type: "run", brokerPort: full ? brokerPort : null, site: SITE, rounds: ROUNDS, fps: FPS });
const latencies: number[] = [];
let missed = 0;
/** per held lift, where the time from its first e-bike frame's publish to the accepted hold went */
const STAGES = ["publish -> received (broker, ingest)", "received -> judging (detector queue)", "preprocess (decode, resize)", "session.run", "worker hand-off, decode, NMS", "verdict -> hold accepted (guard, OPC UA)"] as const;
const stages: number[][] = STAGES.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  const r = await next("round");
  for (const h of r.held) {
    if (h.heldAt === undefined) {
      missed++;
      continue;
    }
    latencies.push(h.heldAt - h.publishedAt);
    // the hold this round's e-bike frames started (both processes read the same machine clock)
    const start = holdStarts.find((s) => s.lift === h.lift && s.verdict !== undefined && s.verdict.frameTs >= h.publishedAt);
    const d = start?.verdict;
    if (!full || !d) continue;
    const parts = [d.frameTs - h.publishedAt, d.waitMs, d.preprocessMs, d.inferenceMs, d.totalMs - d.preprocessMs - d.inferenceMs, h.heldAt - d.ts];
    parts.forEach((ms, i) => stages[i]!.push(Math.max(0, ms)));
  }
  holdStarts.length = 0;
  process.stderr.write(`round ${round + 1}/${ROUNDS}: ${r.held.filter((h) => h.heldAt !== undefined).length}/${ids.length} lifts held\n`);
}
await next("done");

const fmt = (xs: number[]) =>
  xs.length === 0 ? "n/a" : `median ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;
console.log(`lift guard benchmark: mode ${args.mode}, ${LIFTS} lifts, ${ROUNDS} rounds, ${FPS} frames/s per lift, confirm ${confirmN} of ${confirmM}${full ? `, model ${args.model}, concurrency ${args.concurrency}` : ""}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average at start ${loadAtStart}, at end ${os.loadavg()[0]!.toFixed(1)}`);
console.log(`  first e-bike frame published -> hold accepted by the controller: ${fmt(latencies)}`);
console.log(`  guard's own measure (frame received -> hold acknowledged, the linli_lift_hold_latency_seconds histogram): ${fmt(guardHist)}`);
if (full) console.log(`  of which frame received -> detector verdict (e-bike frames): ${fmt(verdictMs)}`);
console.log(`  of which verdict -> guard decision (should be ~0): ${fmt(verdictToAck)}`);
if (missed > 0) console.log(`  lifts not held within 6 s in a round: ${missed}`);
if (full && stages[0]!.length > 0) {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const total = stages.reduce((sum, xs) => sum + mean(xs), 0);
  console.log("  stages of each hold (first e-bike frame published -> hold accepted), mean share:");
  STAGES.forEach((name, i) => {
    const xs = stages[i]!;
    console.log(`    ${name.padEnd(44)} ${((100 * mean(xs)) / total).toFixed(0).padStart(3)}%   median ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms`);
  });
}

tell({ type: "stop" });
await gateway.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
