import { HttpError, InfluxDB, RequestTimedOutError } from "@influxdata/influxdb-client";
import { LineProtocolEncoder } from "./line-protocol.ts";
import type { Measurement, Point } from "./point.ts";
import { httpSinkError, SinkError, type Sink } from "./sink.ts";

export interface V2Options {
  url: string;
  token?: string | undefined;
  org: string;
  bucket: string;
  timeoutMs: number;
}

/**
 * InfluxDB 2.x, or anything speaking /api/v2/write (VictoriaMetrics, 3.x), through
 * `@influxdata/influxdb-client`, handed line protocol from the gateway's own encoder: the client's
 * Point objects cost a few times the CPU per point, and gzip is off since the request crosses
 * loopback or a LAN, where compressing costs more than it saves.
 */
export class V2Sink implements Sink {
  readonly #client: InfluxDB;
  readonly #encoder: LineProtocolEncoder;

  constructor(
    readonly options: V2Options,
    measurements: readonly Measurement[],
  ) {
    this.#client = new InfluxDB({ url: options.url, token: options.token ?? "", timeout: options.timeoutMs });
    this.#encoder = new LineProtocolEncoder(measurements);
  }

  async ensure(): Promise<void> {}

  async write(points: readonly Point[]): Promise<void> {
    let lines: string[];
    try {
      lines = points.map((p) => this.#encoder.line(p));
    } catch (err) {
      // a point line protocol cannot carry, or the registry does not allow, can never be written
      throw new SinkError(`InfluxDB 2.x write: ${(err as Error).message}`, { refusal: { reason: "unparsable" } });
    }
    // The client's own retry buffer is off: the spool is the one place that retries, in order.
    // writeFailed hands every failure back here (instead of the client logging it to the console).
    const api = this.#client.getWriteApi(this.options.org, this.options.bucket, "ns", {
      maxRetries: 0,
      batchSize: lines.length + 1,
      flushInterval: 0,
      gzipThreshold: Number.POSITIVE_INFINITY,
      writeFailed: (err) => Promise.reject(err),
    });
    try {
      api.writeRecords(lines);
      await api.close();
    } catch (err) {
      if (err instanceof HttpError) {
        const retryAfter = err.headers?.["retry-after"];
        throw httpSinkError("InfluxDB 2.x write failed", err.statusCode, err.body ?? err.message, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      }
      const why = err instanceof RequestTimedOutError ? `no answer within ${this.options.timeoutMs} ms` : (err as Error).message;
      throw new SinkError(`InfluxDB 2.x write failed: ${why}`);
    }
  }

  async close(): Promise<void> {}
}
