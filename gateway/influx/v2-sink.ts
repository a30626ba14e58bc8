import { HttpError, InfluxDB, RequestTimedOutError, Point as V2Point } from "@influxdata/influxdb-client";
import { nanoTimestamp, type Measurement, type Point } from "./point.ts";
import { httpSinkError, SinkError, type Sink } from "./sink.ts";

export interface V2Options {
  url: string;
  org: string;
  bucket: string;
  token?: string | undefined;
  timeoutMs: number;
}

/** InfluxDB 2.x (or anything speaking /api/v2/write) through `@influxdata/influxdb-client`. */
export class V2Sink implements Sink {
  readonly #client: InfluxDB;
  readonly #types: Map<string, Measurement["fields"]>;

  constructor(
    readonly options: V2Options,
    measurements: readonly Measurement[],
  ) {
    this.#client = new InfluxDB({ url: options.url, token: options.token ?? "", timeout: options.timeoutMs });
    this.#types = new Map(measurements.map((m) => [m.name, m.fields]));
  }

  async ensure(): Promise<void> {}

  #toV2(p: Point): V2Point {
    const point = new V2Point(p.measurement).timestamp(nanoTimestamp(p));
    for (const [k, v] of Object.entries(p.tags)) point.tag(k, v);
    const types = this.#types.get(p.measurement) ?? {};
    for (const [k, v] of Object.entries(p.fields)) {
      switch (types[k]) {
        case "integer":
          point.intField(k, v as number);
          break;
        case "float":
          point.floatField(k, v as number);
          break;
        case "boolean":
          point.booleanField(k, v as boolean);
          break;
        default:
          point.stringField(k, String(v));
      }
    }
    return point;
  }

  async write(points: readonly Point[]): Promise<void> {
    // The client's own retry buffer is off: the spool is the one place that retries, in order.
    // writeFailed hands every failure back here (instead of the client logging it to the console).
    const api = this.#client.getWriteApi(this.options.org, this.options.bucket, "ns", {
      maxRetries: 0,
      batchSize: points.length + 1,
      flushInterval: 0,
      writeFailed: (err) => Promise.reject(err),
    });
    try {
      api.writePoints(points.map((p) => this.#toV2(p)));
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
