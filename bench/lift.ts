/**
 * Lift guard benchmark (not a test: it prints figures, it asserts nothing).
 *
 * 30 simulated lifts (one real OPC UA server on 127.0.0.1), all doors open, and for each round every
 * lift's camera switches from clear frames to e-bike frames at the same moment. Measured per lift:
 * the publish time of its first e-bike frame to the moment the simulated controller accepted the
 * HoldUntil write it caused.
 *
 *   --mode full   camera MQTT publish -> embedded broker -> ingest -> detector (real weights, real
 *                 photo) -> guard -> OPC UA write, with confirmation 1 of 1 so the first e-bike
 *                 frame judged triggers the hold (`--confirm 3/5`, the guard's default, measures
 *                 the wait for the confirming frames too)
 *   --mode guard  detector verdicts injected on the bus: the guard and the OPC UA link alone
 *
 *   npm run bench:lift -- [--mode full|guard] [--confirm 1/1] [--lifts 30] [--rounds 5] [--fps 2] [--model fastestdet-coco-352] [--mirror ../shared/models]
 *   (or: node --import tsx bench/lift.ts ...)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { connectAsync } from "mqtt";
import { parseConfig } from "../gateway/config.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import { Gateway } from "../gateway/gateway.ts";
import { createLogger } from "../gateway/log.ts";
import { liftFeature } from "../gateway/lift/feature.ts";
import { startSimulatedController } from "../gateway/lift/sim/server.ts";
import { freePort } from "../test/services/ports.ts";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "full" },
    lifts: { type: "string", default: "30" },
    rounds: { type: "string", default: "5" },
    fps: { type: "string", default: "2" },
    confirm: { type: "string", default: "1/1" },
    model: { type: "string", default: "fastestdet-coco-352" },
    mirror: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/models") },
    images: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/images") },
  },
});
const LIFTS = Number(args.lifts);
const ROUNDS = Number(args.rounds);
const FPS = Number(args.fps);
const [confirmN, confirmM] = args.confirm.split("/").map(Number) as [number, number];
const full = args.mode === "full";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const loadAtStart = os.loadavg()[0]!.toFixed(1); // other work on the machine skews every figure below
const ids = Array.from({ length: LIFTS }, (_, i) => `lift-${String(i + 1).padStart(2, "0")}`);
// doors stay open for the whole run: every lift is "at a landing with its doors open"
const sim = await startSimulatedController({ port: 0, lifts: ids, timing: { doorDwellMs: 3_600_000 }, minFloor: 1, maxFloor: 30 });
for (const id of ids) sim.call(id, sim.state(id).floor);

const dataDir = mkdtempSync(path.join(os.tmpdir(), "linli-bench-lift-"));
const brokerPort = await freePort();
const config = parseConfig({
  site: "bench",
  logLevel: "silent",
  dataDir,
  broker: { port: brokerPort },
  http: { enabled: false },
  influx: { enabled: false },
  alerts: { enabled: false },
  // the bicycle photo stands in for an e-bike (the COCO model maps only motorbike to e-bike)
  detector: { enabled: full, model: args.model, mirror: args.mirror, modelsDir: path.join(dataDir, "models"), concurrency: 2, threads: 1, ebikeClasses: ["bicycle", "motorbike"] },
  lift: {
    opcua: { endpoint: sim.endpoint },
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

const bicycle = await readFile(path.join(args.images, "bicycle-dog-porch.jpg"));
const negatives = await Promise.all([0, 1, 2, 3, 4].map((i) => readFile(path.join(args.images, `coco-negative-${i}.jpg`))));
const camera = full ? await connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 0 }) : null;

/** one frame for every lift, all at once; returns the publish time of each */
async function frameAll(ebike: boolean, k: number): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  await Promise.all(
    ids.map(async (id, i) => {
      const t = Date.now();
      sent.set(id, t);
      if (camera) await camera.publishAsync(`linli/bench/lift/${id}/frame`, ebike ? bicycle : negatives[(i + k) % negatives.length]!, { qos: 0 });
      else
        core.bus.emit("lift.detection", {
          site: "bench", lift: id, ts: t, frameTs: t, model: "injected", ebike, ebikeScore: ebike ? 0.9 : 0.05, threshold: 0.5,
          detections: [], frameWidth: 1280, frameHeight: 720, inferenceMs: 0, totalMs: 0, dropped: 0,
        });
    }),
  );
  return sent;
}

const latencies: number[] = [];
const guardHist: number[] = [];
/** per judged e-bike frame: gateway receive -> verdict (ingest queue, detector queue, inference) */
const verdictMs: number[] = [];
/** per hold: the triggering verdict -> hold acknowledged (guard + OPC UA) */
const verdictToAck: number[] = [];
const lastVerdictAt = new Map<string, number>();
core.bus.on("lift.detection", (d) => {
  if (!d.ebike) return;
  verdictMs.push(d.ts - d.frameTs);
  lastVerdictAt.set(d.lift, d.ts);
});
core.bus.on("lift.hold", (h) => {
  if (h.phase === "start" && h.latencyMs !== undefined) {
    guardHist.push(h.latencyMs);
    const v = lastVerdictAt.get(h.lift);
    if (v !== undefined) verdictToAck.push(h.startedAt - v);
  }
});
let missed = 0;
for (let round = 0; round < ROUNDS; round++) {
  // clear frames until every hold of the last round is released
  for (let k = 0; ids.some((id) => guard.status()[id]?.holding) || k < FPS; k++) {
    await frameAll(false, k);
    await sleep(1000 / FPS);
    if (k > FPS * 20) throw new Error("holds not released");
  }
  const firstEbikeAt = new Map<string, number>();
  const heldAt = new Map<string, number>();
  const onHold = (id: string, h: { result: string; at: number }) => {
    if (h.result === "accepted" && firstEbikeAt.has(id) && !heldAt.has(id)) heldAt.set(id, Date.now());
  };
  sim.events.on("hold", onHold);
  const roundEnd = Date.now() + 6_000;
  for (let k = 0; heldAt.size < ids.length && Date.now() < roundEnd; k++) {
    const sent = await frameAll(true, k);
    for (const [id, t] of sent) if (!firstEbikeAt.has(id)) firstEbikeAt.set(id, t);
    await sleep(1000 / FPS);
  }
  await sleep(200);
  sim.events.off("hold", onHold);
  for (const id of ids) {
    const a = firstEbikeAt.get(id);
    const b = heldAt.get(id);
    if (a !== undefined && b !== undefined) latencies.push(b - a);
    else missed++;
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS}: ${heldAt.size}/${ids.length} lifts held\n`);
}

const fmt = (xs: number[]) =>
  xs.length === 0 ? "n/a" : `median ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;
console.log(`lift guard benchmark: mode ${args.mode}, ${LIFTS} lifts, ${ROUNDS} rounds, ${FPS} frames/s per lift, confirm ${confirmN} of ${confirmM}${full ? `, model ${args.model}` : ""}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average at start ${loadAtStart}, at end ${os.loadavg()[0]!.toFixed(1)}`);
console.log(`  first e-bike frame published -> hold accepted by the controller: ${fmt(latencies)}`);
console.log(`  guard's own measure (frame received -> hold acknowledged, the linli_lift_hold_latency_seconds histogram): ${fmt(guardHist)}`);
if (full) console.log(`  of which frame received -> detector verdict (e-bike frames): ${fmt(verdictMs)}`);
console.log(`  of which verdict -> guard decision (should be ~0): ${fmt(verdictToAck)}`);
if (missed > 0) console.log(`  lifts not held within 6 s in a round: ${missed}`);

await camera?.endAsync();
await gateway.stop();
await sim.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
