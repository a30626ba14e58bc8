import type { Core } from "./core.ts";
import type { Feature } from "./feature.ts";
import { defineMeasurement, pointOf, type Point } from "./influx/point.ts";
import type { GatewayMetrics } from "./metrics.ts";

export const gatewayMeasurement = defineMeasurement({
  name: "gateway",
  description: "The gateway's own counters (totals since start) and memory, every 10 s.",
  tags: ["site", "host"],
  fields: {
    messages_in: "integer",
    rejected: "integer",
    ts_restamped: "integer",
    points_written: "integer",
    write_errors: "integer",
    spool_points: "integer",
    spool_bytes: "integer",
    spool_dropped: "integer",
    heap_used_bytes: "integer",
    rss_bytes: "integer",
    uptime_s: "integer",
  },
});

export const gatewayRejectedMeasurement = defineMeasurement({
  name: "gateway_rejected",
  description: "Rejected device messages by reason (totals since start), every 10 s.",
  tags: ["site", "host", "reason"],
  fields: { count: "integer" },
});

/** The `gateway` and `gateway_rejected` points for one sample of a gateway's counters. */
export function gatewayPoints(tags: { site: string; host: string }, metrics: GatewayMetrics, ts: number, uptimeS: number): Point[] {
  const t = metrics.totals;
  const mem = process.memoryUsage();
  const points = [
    pointOf(gatewayMeasurement, {
      tags,
      ts,
      fields: {
        messages_in: t.messagesIn,
        rejected: t.rejected,
        ts_restamped: t.tsRestamped,
        points_written: t.pointsWritten,
        write_errors: t.writeErrors,
        spool_points: t.spoolPoints,
        spool_bytes: t.spoolBytes,
        spool_dropped: t.spoolDropped,
        heap_used_bytes: mem.heapUsed,
        rss_bytes: mem.rss,
        uptime_s: uptimeS,
      },
    }),
  ];
  for (const [reason, count] of metrics.rejectedByReason) points.push(pointOf(gatewayRejectedMeasurement, { tags: { ...tags, reason }, ts, fields: { count } }));
  return points;
}

/** Samples the gateway's counters into InfluxDB for the health board. */
export class HealthPoints implements Feature {
  readonly name = "health";
  #timer: NodeJS.Timeout | undefined;
  readonly #startedAt = Date.now();

  constructor(
    private readonly core: Core,
    private readonly metrics: GatewayMetrics,
    private readonly host: string,
    private readonly intervalMs = 10_000,
  ) {}

  sample(now = Date.now()): void {
    const tags = { site: this.core.config.site, host: this.host };
    const uptimeS = Math.round((now - this.#startedAt) / 1000);
    for (const p of gatewayPoints(tags, this.metrics, now, uptimeS)) this.core.writePoint(p);
  }

  async start(): Promise<void> {
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.sample();
  }
}
