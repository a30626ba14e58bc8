import { rmSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { pointOf, type Point } from "../../gateway/influx/point.ts";
import type { Sink } from "../../gateway/influx/sink.ts";
import { Spool } from "../../gateway/influx/spool.ts";
import { InfluxWriter, type WriterOptions } from "../../gateway/influx/writer.ts";
import { allMeasurements } from "../../gateway/measurements.ts";
import { GatewayMetrics } from "../../gateway/metrics.ts";
import { gatePass } from "../../devices/gate.ts";
import { tempDir } from "./process.ts";

export interface TestWriter {
  writer: InfluxWriter;
  spool: Spool;
  metrics: GatewayMetrics;
  /** every log line the writer wrote, parsed */
  logs: Array<Record<string, unknown> & { msg: string }>;
  /** stops the writer (its drain given `graceMs`) and removes the spool unless `keep` */
  stop(graceMs?: number): Promise<void>;
}

/** The gateway's InfluxDB writer alone, on a real sink and a real spool in `dir`, with its log kept. */
export async function startTestWriter(sink: Sink, options: Partial<WriterOptions> = {}, dir = tempDir("writer"), keep = false): Promise<TestWriter> {
  const logs: TestWriter["logs"] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as TestWriter["logs"][number]) });
  const spool = new Spool(join(dir, "spool.db"), { maxBytes: 256 * 1024 * 1024, whenFull: "dropOldest", sync: "normal" });
  const metrics = new GatewayMetrics("demo");
  const writer = new InfluxWriter(sink, spool, allMeasurements, { batchSize: 100, flushIntervalMs: 20, minDelayMs: 50, maxDelayMs: 2_000, ...options }, metrics, log);
  writer.start();
  // start()'s drain of an empty spool ends a turn later, and a flush before that waits for the next one
  await new Promise((r) => setImmediate(r));
  return {
    writer,
    spool,
    metrics,
    logs,
    async stop(graceMs = 2_000) {
      await writer.stop(graceMs);
      spool.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A plate read at a gate: `gate-<n>`, event id `e-<i>`; same tags for every pass of one gate. */
export function gatePassPoint(i: number, ts: number, gate = i % 5, fields: { plate_color?: string; confidence?: number } = {}): Point {
  return pointOf(gatePass, { tags: { site: "demo", gate: `gate-${gate}`, method: "plate", direction: "in", granted: "true" }, fields: { event_id: `e-${i}`, subject: `s-${i}`, confidence: 0.9, count: 1, ...fields }, ts });
}
