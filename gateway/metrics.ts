import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { RejectReason } from "./events.ts";

/**
 * The gateway's own counters, exported twice: to Prometheus on /metrics, and as totals that the
 * `gateway` measurement samples into InfluxDB for the Grafana health board.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly totals = {
    messagesIn: 0,
    rejected: 0,
    tsRestamped: 0,
    pointsWritten: 0,
    writeErrors: 0,
    spoolPoints: 0,
    spoolBytes: 0,
    spoolDropped: 0,
  };
  readonly rejectedByReason = new Map<RejectReason, number>();

  readonly #messagesIn = new Counter({ name: "linli_messages_in_total", help: "Device messages accepted", labelNames: ["kind", "channel"], registers: [this.registry] });
  readonly #rejected = new Counter({ name: "linli_messages_rejected_total", help: "Device messages rejected", labelNames: ["reason"], registers: [this.registry] });
  readonly #restamped = new Counter({ name: "linli_ts_restamped_total", help: "Messages whose device time was missing or skewed and replaced by the receive time", labelNames: ["cause"], registers: [this.registry] });
  readonly #written = new Counter({ name: "linli_points_written_total", help: "Points InfluxDB accepted", registers: [this.registry] });
  readonly #writeErrors = new Counter({ name: "linli_write_errors_total", help: "InfluxDB write failures", labelNames: ["reason"], registers: [this.registry] });
  readonly #spoolPoints = new Gauge({ name: "linli_spool_points", help: "Points waiting in the on-disk spool", registers: [this.registry] });
  readonly #spoolBytes = new Gauge({ name: "linli_spool_bytes", help: "Bytes waiting in the on-disk spool", registers: [this.registry] });
  readonly #spoolDropped = new Counter({ name: "linli_spool_dropped_total", help: "Points dropped because the spool was full", registers: [this.registry] });

  constructor(site: string) {
    this.registry.setDefaultLabels({ site });
    collectDefaultMetrics({ register: this.registry, prefix: "linli_" });
  }

  messageIn(kind: string, channel: string): void {
    this.totals.messagesIn++;
    this.#messagesIn.inc({ kind, channel });
  }

  rejected(reason: RejectReason): void {
    this.totals.rejected++;
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
    this.#rejected.inc({ reason });
  }

  restamped(cause: "missing" | "skew"): void {
    this.totals.tsRestamped++;
    this.#restamped.inc({ cause });
  }

  pointsWritten(n: number): void {
    this.totals.pointsWritten += n;
    this.#written.inc(n);
  }

  writeError(reason: "invalid_point" | "rejected" | "unavailable", n = 1): void {
    this.totals.writeErrors += n;
    this.#writeErrors.inc({ reason }, n);
  }

  setSpool(size: { points: number; bytes: number }): void {
    this.totals.spoolPoints = size.points;
    this.totals.spoolBytes = size.bytes;
    this.#spoolPoints.set(size.points);
    this.#spoolBytes.set(size.bytes);
  }

  spoolDropped(n: number): void {
    this.totals.spoolDropped += n;
    this.#spoolDropped.inc(n);
  }
}
