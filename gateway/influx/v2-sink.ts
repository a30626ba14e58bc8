import { HttpError, InfluxDB, Point as V2Point } from "@influxdata/influxdb-client";
import type { Measurement, Point } from "./point.ts";
import { classifyStatus, SinkError, type Sink } from "./sink.ts";

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
    const point = new V2Point(p.measurement).timestamp(p.ts);
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
    const api = this.#client.getWriteApi(this.options.org, this.options.bucket, "ms", {
      maxRetries: 0,
      batchSize: points.length + 1,
      flushInterval: 0,
    });
    try {
      api.writePoints(points.map((p) => this.#toV2(p)));
      await api.close();
    } catch (err) {
      const status = err instanceof HttpError ? err.statusCode : undefined;
      throw new SinkError(`InfluxDB 2.x write failed: ${(err as Error).message}`, classifyStatus(status), status);
    }
  }

  async close(): Promise<void> {}
}
