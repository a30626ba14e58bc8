import { FieldType, InfluxDB, type ISchemaOptions } from "influx";
import type { Measurement, Point } from "./point.ts";
import { classifyStatus, SinkError, type Sink } from "./sink.ts";

const FIELD_TYPES = { integer: FieldType.INTEGER, float: FieldType.FLOAT, boolean: FieldType.BOOLEAN, string: FieldType.STRING } as const;

export interface V1Options {
  url: string;
  database: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs: number;
}

function statusOf(err: unknown): number | undefined {
  const res = (err as { res?: { statusCode?: number } }).res;
  return res?.statusCode;
}

/** InfluxDB 1.x through the `influx` client; field types come from the measurement registry. */
export class V1Sink implements Sink {
  readonly #db: InfluxDB;
  readonly #database: string;

  constructor(options: V1Options, measurements: readonly Measurement[]) {
    const url = new URL(options.url);
    const schema: ISchemaOptions[] = measurements.map((m) => ({
      measurement: m.name,
      tags: [...m.tags],
      fields: Object.fromEntries(Object.entries(m.fields).map(([k, t]) => [k, FIELD_TYPES[t]])),
    }));
    this.#database = options.database;
    this.#db = new InfluxDB({
      hosts: [{ host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 8086)), protocol: url.protocol === "https:" ? "https" : "http" }],
      database: options.database,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      schema,
      pool: { requestTimeout: options.timeoutMs, maxRetries: 0 },
    });
  }

  async ensure(): Promise<void> {
    try {
      await this.#db.createDatabase(this.#database);
    } catch (err) {
      throw new SinkError(`cannot create database ${this.#database}: ${(err as Error).message}`, classifyStatus(statusOf(err)), statusOf(err));
    }
  }

  async write(points: readonly Point[]): Promise<void> {
    try {
      await this.#db.writePoints(
        points.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: new Date(p.ts) })),
        { precision: "ms" },
      );
    } catch (err) {
      const status = statusOf(err);
      throw new SinkError(`InfluxDB 1.x write failed: ${(err as Error).message}`, classifyStatus(status), status);
    }
  }

  async close(): Promise<void> {}
}
