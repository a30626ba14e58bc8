import type { DeviceKind, PointContext } from "../../devices/types.ts";
import { gatewayPoints } from "../health.ts";
import { GatewayMetrics } from "../metrics.ts";
import type { Measurement, Point } from "../influx/point.ts";
import type { Sink } from "../influx/sink.ts";
import { checkPoint } from "../influx/validate.ts";
import { IngestPipeline } from "../ingest/pipeline.ts";
import { deviceTopic } from "../ingest/topic.ts";
import { encodePayload, Fleet, type FleetOptions } from "./fleet.ts";

export interface PastDayOptions extends FleetOptions {
  site: string;
  /** the end of the simulated stretch (default: now) */
  end?: number;
  hours?: number;
  batchSize?: number;
  /** one malformed message in this many, so the rejected-messages panels have something to show */
  corruptEvery?: number;
  onProgress?: (simulatedUpTo: number, points: number) => void;
}

/**
 * Writes a past stretch of a compound's life (a day by default) straight into InfluxDB, through
 * the same pipeline and point builders as live traffic, as fast as InfluxDB takes it: the data the
 * Grafana boards are proven against.
 */
export async function writePastDay(kinds: readonly DeviceKind[], measurements: readonly Measurement[], sink: Sink, ctx: PointContext, options: PastDayOptions): Promise<{ points: number; messages: number }> {
  const end = options.end ?? Date.now();
  const start = end - (options.hours ?? 24) * 3_600_000;
  const fleet = new Fleet(kinds, options);
  let clock = start;
  // what a gateway taking this traffic would have counted, for the health board
  const metrics = new GatewayMetrics(options.site);
  const pipeline = new IngestPipeline(kinds, { site: options.site, maxClockSkewMs: 300_000, dedupWindow: 100_000, maxBytes: {}, pointContext: ctx, counters: metrics, now: () => clock });
  const batchSize = options.batchSize ?? 5_000;
  const corruptEvery = options.corruptEvery ?? 2_000;
  const tags = { site: options.site, host: "simulator" };
  const byName = new Map(measurements.map((m) => [m.name, m]));
  let batch: Point[] = [];
  // The same checks as the live writer: the day is written exactly as live traffic would be.
  const add = (p: Point) => {
    const checked = checkPoint(p, byName);
    if (!checked.ok) throw new Error(`simulated point refused: ${checked.error}`);
    batch.push(checked.point);
    // Counted as the batch takes it: a batch the sink refuses fails the whole day.
    metrics.pointsWritten(1);
  };
  let points = 0;
  let messages = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    await sink.write(batch);
    points += batch.length;
    batch = [];
  };

  await sink.ensure();
  for (; clock <= end; clock += 1_000) {
    for (const m of fleet.tick(clock)) {
      messages++;
      const topic = deviceTopic({ site: options.site, kind: m.kind, deviceId: m.deviceId, channel: m.channel });
      const payload = messages % corruptEvery === 0 ? Buffer.from("{not json") : encodePayload(m.payload);
      const outcome = pipeline.accept({ topic, payload });
      if (outcome.status === "accepted") for (const p of outcome.points) add(p);
    }
    if (clock % 10_000 < 1_000) for (const p of gatewayPoints(tags, metrics, clock, Math.round((clock - start) / 1000))) add(p);
    if (batch.length >= batchSize) {
      await flush();
      options.onProgress?.(clock, points);
    }
  }
  await flush();
  return { points, messages };
}
