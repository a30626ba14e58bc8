import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { RejectReason } from "./events.ts";
import type { RefusedReason } from "./influx/sink.ts";

/** Why the spool refuses points: its bound under refuseNew, or the disk/file failing. */
export type BackPressureReason = "spool_full" | "spool_unwritable";

/** The gateway's totals since start: the /healthz keys, and what the `gateway` measurement samples. */
export interface GatewayTotals {
  messagesIn: number;
  rejected: number;
  tsRestamped: number;
  pointsWritten: number;
  writeErrors: number;
  spoolPoints: number;
  spoolBytes: number;
  spoolDropped: number;
}

/**
 * A Prometheus counter whose counts are kept here, where they can be read synchronously: a scrape
 * collects these same numbers, so nothing is counted twice.
 */
class Tally<L extends Record<string, string>> {
  readonly #series = new Map<string, { labels: L; value: number }>();
  readonly #labelNames: readonly (keyof L & string)[];

  constructor(registry: Registry, config: { name: string; help: string; labelNames?: readonly (keyof L & string)[] }) {
    const series = this.#series;
    this.#labelNames = config.labelNames ?? [];
    new Counter({
      ...config,
      labelNames: this.#labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of series.values()) this.inc(s.labels, s.value);
      },
    });
  }

  add(labels: L, n = 1): void {
    this.seriesOf(labels).value += n;
  }

  /** The series of these labels, created at 0: a caller that counts it often keeps it (GatewayMetrics.messageIn). */
  seriesOf(labels: L): { labels: L; value: number } {
    // a join, not JSON, for the series key (label values never hold \u0001)
    let key = "";
    for (const name of this.#labelNames) key += `${labels[name]}\u0001`;
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = { labels, value: 0 }));
    return s;
  }

  series(): IterableIterator<{ labels: L; value: number }> {
    return this.#series.values();
  }

  get total(): number {
    let sum = 0;
    for (const s of this.#series.values()) sum += s.value;
    return sum;
  }
}

/** A Prometheus gauge whose value is kept here, for the same reason. */
class Level {
  value = 0;

  constructor(registry: Registry, config: { name: string; help: string }) {
    const level = this;
    new Gauge({
      ...config,
      registers: [registry],
      collect() {
        this.set(level.value);
      },
    });
  }
}

/**
 * The gateway's one set of counters. Prometheus reads them on /metrics; `totals` and
 * `rejectedByReason` read the same numbers for /healthz and the `gateway` health points.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly #messagesIn = new Tally<{ kind: string; channel: string }>(this.registry, { name: "linli_messages_in_total", help: "Device messages accepted", labelNames: ["kind", "channel"] });
  readonly #rejected = new Tally<{ reason: RejectReason }>(this.registry, { name: "linli_messages_rejected_total", help: "Device messages rejected", labelNames: ["reason"] });
  readonly #restamped = new Tally<{ cause: "missing" | "skew" }>(this.registry, { name: "linli_ts_restamped_total", help: "Messages whose device time was missing or skewed and replaced by the receive time", labelNames: ["cause"] });
  readonly #written = new Tally<Record<never, string>>(this.registry, { name: "linli_points_written_total", help: "Points InfluxDB accepted" });
  readonly #writeErrors = new Tally<{ reason: "invalid_point" | "rejected" | "unavailable" }>(this.registry, { name: "linli_write_errors_total", help: "InfluxDB write failures", labelNames: ["reason"] });
  readonly #spoolPoints = new Level(this.registry, { name: "linli_spool_points", help: "Points waiting in the on-disk spool" });
  readonly #spoolBytes = new Level(this.registry, { name: "linli_spool_bytes", help: "Bytes waiting in the on-disk spool" });
  readonly #spoolDropped = new Tally<Record<never, string>>(this.registry, { name: "linli_spool_dropped_total", help: "Points dropped because the spool was full" });
  readonly #refused = new Tally<{ reason: RefusedReason }>(this.registry, { name: "linli_points_refused_total", help: "Points InfluxDB refused for what they are (the others of their batch were written), by InfluxDB's reason", labelNames: ["reason"] });
  readonly #unacknowledged = new Tally<{ reason: BackPressureReason }>(this.registry, { name: "linli_messages_unacknowledged_total", help: "QoS 1 messages left unacknowledged because the spool could not take their points (the device resends them)", labelNames: ["reason"] });
  readonly #backPressure = new Level(this.registry, { name: "linli_backpressure", help: "1 while the spool refuses new points and QoS 1 devices are not acknowledged" });
  readonly #quarantined = new Tally<{ store: string }>(this.registry, { name: "linli_state_quarantined_total", help: "State files found damaged at start, moved aside and replaced by fresh ones", labelNames: ["store"] });

  constructor(site: string) {
    this.registry.setDefaultLabels({ site });
    collectDefaultMetrics({ register: this.registry, prefix: "linli_" });
  }

  /** kind -> channel -> its series: once per device message, so no labels object and no key string each time */
  readonly #messagesInOf = new Map<string, Map<string, { value: number }>>();

  messageIn(kind: string, channel: string): void {
    let byChannel = this.#messagesInOf.get(kind);
    if (!byChannel) this.#messagesInOf.set(kind, (byChannel = new Map()));
    let series = byChannel.get(channel);
    if (!series) byChannel.set(channel, (series = this.#messagesIn.seriesOf({ kind, channel })));
    series.value++;
  }

  rejected(reason: RejectReason): void {
    this.#rejected.add({ reason });
  }

  restamped(cause: "missing" | "skew"): void {
    this.#restamped.add({ cause });
  }

  pointsWritten(n: number): void {
    this.#written.add({}, n);
  }

  writeError(reason: "invalid_point" | "rejected" | "unavailable", n = 1): void {
    this.#writeErrors.add({ reason }, n);
  }

  setSpool(size: { points: number; bytes: number }): void {
    this.#spoolPoints.value = size.points;
    this.#spoolBytes.value = size.bytes;
  }

  spoolDropped(n: number): void {
    this.#spoolDropped.add({}, n);
  }

  pointsRefused(reason: RefusedReason, n: number): void {
    this.#refused.add({ reason }, n);
  }

  unacknowledged(reason: BackPressureReason, n: number): void {
    this.#unacknowledged.add({ reason }, n);
  }

  setBackPressure(on: boolean): void {
    this.#backPressure.value = on ? 1 : 0;
  }

  stateQuarantined(store: string): void {
    this.#quarantined.add({ store });
  }

  /** A snapshot of the totals since start. */
  get totals(): Readonly<GatewayTotals> {
    return {
      messagesIn: this.#messagesIn.total,
      rejected: this.#rejected.total,
      tsRestamped: this.#restamped.total,
      pointsWritten: this.#written.total,
      writeErrors: this.#writeErrors.total,
      spoolPoints: this.#spoolPoints.value,
      spoolBytes: this.#spoolBytes.value,
      spoolDropped: this.#spoolDropped.total,
    };
  }

  get refusedByReason(): ReadonlyMap<RefusedReason, number> {
    return new Map([...this.#refused.series()].map((s) => [s.labels.reason, s.value]));
  }

  get rejectedByReason(): ReadonlyMap<RejectReason, number> {
    return new Map([...this.#rejected.series()].map((s) => [s.labels.reason, s.value]));
  }
}
