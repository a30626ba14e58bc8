import type { Logger } from "pino";
import type { GatewayMetrics } from "../metrics.ts";
import type { Measurement, Point } from "./point.ts";
import type { Sink } from "./sink.ts";
import { SinkError } from "./sink.ts";
import type { Spool } from "./spool.ts";
import { checkPoint } from "./validate.ts";

export interface WriterOptions {
  batchSize: number;
  flushIntervalMs: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * Batches points by size and interval into the durable spool, and drains the spool into InfluxDB
 * in order, backing off while the server is away. Callers never wait and never see an error.
 */
export class InfluxWriter {
  readonly #measurements: ReadonlyMap<string, Measurement>;
  #buffer: Point[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #delayMs: number;
  #ensured = false;
  #stopped = false;

  constructor(
    private readonly sink: Sink,
    private readonly spool: Spool,
    measurements: readonly Measurement[],
    private readonly options: WriterOptions,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {
    this.#measurements = new Map(measurements.map((m) => [m.name, m]));
    this.#delayMs = options.minDelayMs;
    metrics.setSpool(spool.size);
  }

  /** Starts replaying whatever a previous run left in the spool. */
  start(): void {
    this.#kick();
  }

  write(point: Point): void {
    const checked = checkPoint(point, this.#measurements);
    if (!checked.ok) {
      this.metrics.writeError("invalid_point");
      this.log.warn({ error: checked.error }, "point refused before writing");
      return;
    }
    this.#buffer.push(checked.point);
    if (this.#buffer.length >= this.options.batchSize) this.flush();
    else this.#flushTimer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
  }

  /** Commits the buffered points to the spool and starts a drain. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    const dropped = this.spool.append(batch);
    if (dropped > 0) {
      this.metrics.spoolDropped(dropped);
      this.log.error({ dropped, maxBytes: this.spool.maxBytes }, "spool full: oldest points dropped");
    }
    this.metrics.setSpool(this.spool.size);
    this.#kick();
  }

  #kick(): void {
    if (this.#stopped || this.#draining || this.#retryTimer) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
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
        await this.sink.write(batch.points);
        this.spool.remove(batch.upTo, batch.points.length);
        this.metrics.pointsWritten(batch.points.length);
        this.#delayMs = this.options.minDelayMs;
      } catch (err) {
        const e = err instanceof SinkError ? err : new SinkError(String(err), true);
        if (!e.retryable) {
          // InfluxDB refused these points for what they are; sending them again cannot succeed.
          this.spool.remove(batch.upTo);
          this.metrics.writeError("rejected", batch.points.length);
          this.log.error({ err: e.message, status: e.status, points: batch.points.length }, "InfluxDB refused a batch; dropped");
          continue;
        }
        if (e.status === 404) this.#ensured = false;
        this.metrics.writeError("unavailable");
        this.log.warn({ err: e.message, retryInMs: this.#delayMs, spooled: this.spool.size.points }, "InfluxDB write failed; points stay spooled");
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

  /** Spools what is buffered, gives the drain in progress a moment, and closes. */
  async stop(graceMs = 2_000): Promise<void> {
    this.flush();
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#draining) await Promise.race([this.#draining, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.sink.close();
  }
}
