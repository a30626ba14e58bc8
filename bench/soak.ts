/**
 * Soak (issue 14, part 7): the gateway and the demo's simulated compound (30 lifts sending frames,
 * 4 gates, 30 chargers, 40 throw cameras; the detector on real weights and the lift guard on a
 * simulated OPC UA controller when ../shared/models is there) in one process, as `npm run demo`
 * runs them, for a while. Every minute it prints RSS, heap used (after a full GC, so it is what
 * is live), event-loop delay, the spool, and what was lost; at the end, whether memory stayed flat.
 *
 * Points lost are counted back from a real InfluxDB when one answers on --influx (a fresh database
 * per run, dropped at the end), else from the gateway's own counters.
 *
 *   npm run soak -- [--minutes 10] [--rate 10] [--influx http://127.0.0.1:8086] [--images ../shared/images] [--models ../shared/models]
 *
 * --rate 10 (the default) is ten simulated seconds of the compound's traffic every second. Exits 1
 * when heap used grew over the second half by more than both --max-growth-mb (default 16) and 10 %
 * of its value at half time: the verdict, for a CI job that runs it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { deviceKinds } from "../devices/index.ts";
import { parseConfig } from "../gateway/config.ts";
import { Gateway } from "../gateway/gateway.ts";
import { loadImages } from "../gateway/images.ts";
import { createLogger } from "../gateway/log.ts";
import { attachSimulatedRiders } from "../gateway/lift/sim/riders.ts";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { LiveSimulation } from "../gateway/simulate/live.ts";
import { freePort } from "../test/services/ports.ts";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "10" },
    influx: { type: "string", default: "http://127.0.0.1:8086" },
    images: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/images") },
    models: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/models") },
    "max-growth-mb": { type: "string", default: "16" },
  },
});
const minutes = Number(args.minutes);
const rate = Number(args.rate);
const maxGrowthMb = Number(args["max-growth-mb"]);
if (!(minutes > 0) || !(rate > 0) || !(maxGrowthMb >= 0)) throw new Error("--minutes, --rate and --max-growth-mb take positive numbers");

// heap used is only comparable minute to minute once the garbage is gone
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MB = 1024 * 1024;
const site = "soak";
const database = `linli_soak_${Date.now()}`;
const influxUp = await fetch(`${args.influx}/ping`)
  .then((r) => r.status === 204)
  .catch(() => false);
const influxql = async (q: string, db?: string): Promise<{ results?: Array<{ series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }> }> => {
  const res = await fetch(`${args.influx}/query?${db ? `db=${db}&` : ""}q=${encodeURIComponent(q)}`, { method: "POST" });
  if (!res.ok) throw new Error(`InfluxQL ${q}: ${res.status} ${await res.text()}`);
  return (await res.json()) as never;
};

/**
 * Points stored in the soak's database: per measurement, the count of its most frequent field (a
 * point has at least one field, and most measurements one that every point carries).
 */
async function storedPoints(): Promise<number> {
  const body = await influxql("SELECT count(*) FROM /.*/", database);
  let total = 0;
  for (const s of body.results?.[0]?.series ?? []) total += Math.max(0, ...((s.values[0] ?? []).slice(1) as number[]).filter((n) => typeof n === "number"));
  return total;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), "linli-soak-"));
const detector = existsSync(path.join(args.models, "fastestdet-coco-352.onnx"));
const lifts = 30;
let controller: SimulatedController | undefined;
if (detector) controller = await startSimulatedController({ port: await freePort(), lifts, callsPerMinute: 2 });
const config = parseConfig({
  site,
  dataDir,
  broker: { port: await freePort() },
  http: { port: await freePort() },
  influx: { url: args.influx, database },
  // the demo's photos show pedal bicycles: they stand in for e-bikes, so the guard holds now and then
  detector: detector ? { modelsDir: path.join(dataDir, "models"), mirror: args.models, ebikeClasses: ["bicycle", "motorbike"] } : { enabled: false },
  lift: controller ? { opcua: { endpoint: controller.endpoint } } : { enabled: false },
});
const gateway = await Gateway.start(config, { log: createLogger("error") });
const detach = controller ? attachSimulatedRiders(controller, gateway.core.bus, site) : undefined;
const camera = existsSync(args.images) ? loadImages(args.images) : undefined;
const sim = await LiveSimulation.start(deviceKinds, { url: `mqtt://127.0.0.1:${config.broker.port}`, site, rate, seed: 14, ...(camera ?? {}) });

console.log(
  [
    `linli soak: ${minutes} min, simulated compound at rate ${rate} (${rate} simulated seconds per second), lift frames ${camera ? `from ${args.images}` : "off (no --images)"}`,
    `  detector and lift guard ${detector ? `on (weights from ${args.models}, simulated OPC UA controller)` : "off (no weights in --models)"}`,
    `  InfluxDB ${influxUp ? `${args.influx}, database ${database}: points lost counted back from it` : `not answering on ${args.influx}: the gateway spools, points lost from its counters`}`,
  ].join("\n"),
);

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
interface Sample {
  minute: number;
  heapMb: number;
  rssMb: number;
}
const samples: Sample[] = [];
const ms = (ns: number) => (ns / 1e6).toFixed(1);

async function sample(minute: number): Promise<void> {
  gc();
  const mem = process.memoryUsage();
  const t = gateway.metrics.totals;
  const s = { minute, heapMb: mem.heapUsed / MB, rssMb: mem.rss / MB };
  samples.push(s);
  // a message either reached the gateway (accepted or rejected) or was lost on the way (QoS 0)
  const received = t.messagesIn + t.rejected;
  const stored = influxUp ? await storedPoints() : undefined;
  // Points go missing two ways: dropped from a full spool, or written and not there (overwritten).
  // The totals are read before the count, so a point counted as written is already in InfluxDB; a
  // batch in flight can only make the count larger, which the clamp hides until the exact end figure.
  const lost = stored !== undefined ? `${t.spoolDropped + Math.max(0, t.pointsWritten - stored)} (written ${t.pointsWritten}, counted back ${stored}, dropped ${t.spoolDropped})` : `${t.spoolDropped} (dropped from the spool; ${t.writeErrors} write errors)`;
  console.log(
    `min ${String(minute).padStart(3)}  rss ${s.rssMb.toFixed(0)} MB  heap ${s.heapMb.toFixed(1)} MB  loop p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)} ms  ` +
      `spool ${t.spoolPoints} pts ${(t.spoolBytes / 1024).toFixed(0)} KiB  messages sent ${sim.sent} received ${received} (${sim.sent - received} not yet or never)  points lost ${lost}`,
  );
  loop.reset();
}

await sample(0);
const started = Date.now();
for (let m = 1; m <= minutes; m++) {
  await new Promise((r) => setTimeout(r, started + m * 60_000 - Date.now()));
  await sample(m);
}

await sim.stop();
detach?.();
// the gateway's stop flushes what it holds to InfluxDB or the spool
await gateway.stop();
await controller?.stop();
const t = gateway.metrics.totals;
const stored = influxUp ? await storedPoints() : undefined;

console.log(
  `end: messages sent ${sim.sent}, accepted ${t.messagesIn}, rejected ${t.rejected}; points written ${t.pointsWritten}, still spooled ${t.spoolPoints}, dropped ${t.spoolDropped}` +
    (stored !== undefined ? `, counted back from InfluxDB ${stored}: lost ${t.spoolDropped + t.pointsWritten - stored}` : ""),
);
if (influxUp) await influxql(`DROP DATABASE "${database}"`);
rmSync(dataDir, { recursive: true, force: true });

// minute 0 is the start-up, not a steady state: the second half needs two later samples
const half = samples.find((s) => s.minute >= Math.max(1, minutes / 2));
const end = samples.at(-1);
if (!half || !end || half === end) {
  console.log("verdict: too short to judge memory (needs --minutes 2 or more)");
  process.exit(0);
}
const growth = end.heapMb - half.heapMb;
const bound = Math.max(maxGrowthMb, half.heapMb * 0.1);
const flat = growth <= bound;
console.log(
  [
    `heap used min ${half.minute} -> ${end.minute}: ${half.heapMb.toFixed(1)} -> ${end.heapMb.toFixed(1)} MB (${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB, bound ${bound.toFixed(1)} MB); rss ${half.rssMb.toFixed(0)} -> ${end.rssMb.toFixed(0)} MB`,
    `verdict: memory ${flat ? "stayed flat" : "GREW over the second half"}`,
  ].join("\n"),
);
process.exit(flat ? 0 : 1);
