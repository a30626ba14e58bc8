import type { Logger } from "pino";
import type { BackPressureReason, GatewayMetrics } from "../metrics.ts";
import type { Measurement, Point } from "./point.ts";
import type { Sink } from "./sink.ts";
import { SinkError } from "./sink.ts";
import { SpoolFullError, type Spool } from "./spool.ts";
import { deliver } from "./isolate.ts";
import { PointStamper } from "./stamp.ts";
import { checkPoint } from "./validate.ts";

export interface WriterOptions {
  batchSize: number;
  flushIntervalMs: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** The spool's state as devices feel it: `on` while QoS 1 messages go unacknowledged. */
export interface BackPressure {
  state: "on" | "off";
  reason: BackPressureReason;
  detail: string;
  ts: number;
  /** the spool's size when it started */
  spooledBytes: number;
}

/** The spool could not take a message's points: its sender must not be acknowledged. */
export class BackPressureError extends Error {
  constructor(
    readonly reason: BackPressureReason,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  points: Point[];
  resolve(): void;
  reject(err: BackPressureError): void;
}

/**
 * Takes points into the durable spool and drains the spool into InfluxDB in order, backing off
 * while the server is away. Two ways in: `write` buffers by size and interval and never fails
 * (the gateway's own points), `writeDurably` resolves once the points are committed to disk, so
 * a device message is acknowledged only then; the points of every message that arrives within one
 * turn of the event loop share one synced transaction (group commit).
 */
export class InfluxWriter {
  readonly #measurements: ReadonlyMap<string, Measurement>;
  readonly #stamper = new PointStamper();
  #buffer: Point[] = [];
  #group: Waiter[] = [];
  #groupScheduled = false;
  #flushTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #delayMs: number;
  #ensured = false;
  #stopped = false;
  #backPressure: BackPressure | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly spool: Spool,
    measurements: readonly Measurement[],
    private readonly options: WriterOptions,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    /** told when back-pressure starts and ends (alerts, /healthz) */
    private readonly onBackPressure: (change: BackPressure) => void = () => {},
  ) {
    this.#measurements = new Map(measurements.map((m) => [m.name, m]));
    this.#delayMs = options.minDelayMs;
    metrics.setSpool(spool.size);
  }

  /** Starts replaying whatever a previous run left in the spool. */
  start(): void {
    this.#kick();
  }

  /** The back-pressure in force, if any. */
  get backPressure(): BackPressure | undefined {
    return this.#backPressure;
  }

  write(point: Point): void {
    const checked = this.#check(point);
    if (!checked) return;
    this.#buffer.push(this.#stamp(checked));
    if (this.#buffer.length >= this.options.batchSize) this.flush();
    else this.#flushTimer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
  }

  /**
   * Resolves when the points are committed to the spool; rejects with BackPressureError, nothing
   * of them written, when the spool cannot take them. Points that fail their measurement's
   * declaration are counted and left out, as in `write`: a device resending them cannot help.
   */
  writeDurably(points: readonly Point[]): Promise<void> {
    const checked: Point[] = [];
    for (const p of points) {
      const c = this.#check(p);
      if (c) checked.push(this.#stamp(c));
    }
    if (checked.length === 0) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new BackPressureError("spool_unwritable", "the writer is stopped"));
    return new Promise<void>((resolve, reject) => {
      this.#group.push({ points: checked, resolve, reject });
      if (this.#groupScheduled) return;
      this.#groupScheduled = true;
      setImmediate(() => this.#commitGroup());
    });
  }

  /** `point` is checkPoint's copy, the writer's own: its offset is set on it rather than on a copy of it. */
  #stamp(point: Point): Point {
    point.ns ??= this.#stamper.offsetOf(point, this.#measurements.get(point.measurement)?.identity);
    return point;
  }

  #check(point: Point): Point | undefined {
    const checked = checkPoint(point, this.#measurements);
    if (checked.ok) return checked.point;
    this.metrics.writeError("invalid_point");
    this.log.warn({ error: checked.error }, "point refused before writing");
    return undefined;
  }

  #commitGroup(): void {
    this.#groupScheduled = false;
    const group = this.#group;
    this.#group = [];
    if (group.length === 0) return;
    const failure = this.#append(group.flatMap((w) => w.points));
    if (failure) {
      this.metrics.unacknowledged(failure.reason, group.length);
      for (const w of group) w.reject(failure);
      return;
    }
    for (const w of group) w.resolve();
    // a small group waits for more, so InfluxDB gets batches rather than a request per message
    if (this.spool.size.points >= this.options.batchSize) this.#kick();
    else
      this.#drainTimer ??= setTimeout(() => {
        this.#drainTimer = undefined;
        this.#kick();
      }, this.options.flushIntervalMs);
  }

  /** Commits the buffered points to the spool and starts a drain. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    const failure = this.#append(batch);
    // nobody waits on these points to resend them: they are gone, and counted as such
    if (failure) this.metrics.spoolDropped(batch.length);
    this.#kick();
  }

  /** Appends to the spool; a refusal starts back-pressure and is returned, a success ends it. */
  #append(points: Point[]): BackPressureError | undefined {
    try {
      const dropped = this.spool.append(points, this.options.batchSize);
      if (dropped > 0) {
        this.metrics.spoolDropped(dropped);
        this.log.error({ dropped, maxBytes: this.spool.maxBytes }, "spool full: oldest points dropped (spool.whenFull: dropOldest)");
      }
    } catch (err) {
      const failure =
        err instanceof SpoolFullError
          ? new BackPressureError("spool_full", err.message)
          : new BackPressureError("spool_unwritable", `spool not writable: ${(err as Error).message}`);
      this.#setBackPressure(failure);
      return failure;
    } finally {
      this.metrics.setSpool(this.spool.size);
    }
    this.#setBackPressure(undefined);
    return undefined;
  }

  #setBackPressure(failure: BackPressureError | undefined): void {
    const was = this.#backPressure;
    if (failure && was?.reason === failure.reason) return;
    if (!failure && !was) return;
    const ts = Date.now();
    if (failure) {
      this.#backPressure = { state: "on", reason: failure.reason, detail: failure.message, ts, spooledBytes: this.spool.size.bytes };
      this.log.error({ reason: failure.reason, err: failure.message, spooled: this.spool.size }, "spool refuses points: QoS 1 messages are not acknowledged until it takes them again");
    } else if (was) {
      this.#backPressure = undefined;
      this.log.info({ reason: was.reason, forMs: ts - was.ts }, "spool takes points again: QoS 1 messages are acknowledged");
    }
    this.metrics.setBackPressure(failure !== undefined);
    const change = failure ? this.#backPressure : was && { ...was, state: "off" as const, ts };
    if (change) this.onBackPressure(change);
  }

  #kick(): void {
    if (this.#stopped || this.#draining || this.#retryTimer) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // no device may be resending to prove it, so a spool that InfluxDB has taken from ends spool_full itself
      const b = this.#backPressure;
      if (b?.reason === "spool_full" && this.spool.size.bytes < b.spooledBytes) this.#setBackPressure(undefined);
      // points spooled between the drain's last empty look and here would wait for the next kick
      if (this.spool.size.points > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const batch = this.spool.peek(this.options.batchSize);
      if (!batch) return;
      try {
        if (!this.#ensured) {
          await this.sink.ensure();
          this.#ensured = true;
        }
        // points InfluxDB refuses for what they are are found and dropped alone; the rest land
        const delivery = await deliver(this.sink, batch.points);
        this.spool.remove(batch.upTo, batch.points.length, batch.bytes);
        this.metrics.pointsWritten(delivery.written);
        for (const g of delivery.refused) {
          this.metrics.pointsRefused(g.reason, g.points);
          this.metrics.writeError("rejected", g.points);
          this.log.error({ reason: g.reason, measurement: g.measurement, field: g.field, points: g.points, err: g.error }, "InfluxDB refused points; dropped, the rest of their batch written");
        }
        this.#delayMs = this.options.minDelayMs;
      } catch (err) {
        // only failures worth retrying get here (deliver isolates refusals): the batch stays spooled
        const e = err instanceof SinkError ? err : new SinkError(String(err));
        if (e.status === 404) this.#ensured = false;
        // the server's Retry-After, within retry.minDelayMs..maxDelayMs, replaces the backoff once
        if (e.retryAfterMs !== undefined) this.#delayMs = Math.min(this.options.maxDelayMs, Math.max(this.options.minDelayMs, e.retryAfterMs));
        this.metrics.writeError("unavailable");
        this.log.warn({ err: e.message, status: e.status, retryInMs: this.#delayMs, spooled: this.spool.size.points }, "InfluxDB write failed; points stay spooled");
        this.#scheduleRetry();
        return;
      } finally {
        this.metrics.setSpool(this.spool.size);
      }
      if (this.#stopped) return;
    }
  }

  #scheduleRetry(): void {
    if (this.#stopped) return;
    const delay = this.#delayMs;
    this.#delayMs = Math.min(this.options.maxDelayMs, this.#delayMs * 2);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, delay);
    this.#retryTimer.unref();
  }

  /** Spools what is buffered and what waits for a commit, gives the drain in progress a moment, and closes. */
  async stop(graceMs = 2_000): Promise<void> {
    this.flush();
    this.#commitGroup();
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    if (this.#draining) await Promise.race([this.#draining, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.sink.close();
  }
}
