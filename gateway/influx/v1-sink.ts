import { escape, FieldType, InfluxDB, type ISchemaOptions } from "influx";
import { nanoTimestamp, type Measurement, type Point } from "./point.ts";
import { httpSinkError, SinkError, type Sink } from "./sink.ts";

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

/**
 * InfluxDB 1.x through the `influx` client: it creates the database and turns each point into line
 * protocol with the field types of the measurement registry. The write request itself is sent
 * here, because the client's pool reports a 5xx without its status or Retry-After and then takes
 * the host out of service on its own schedule; the writer needs both to back off as told.
 */
export class V1Sink implements Sink {
  readonly #db: InfluxDB;
  readonly #database: string;
  readonly #writeUrl: string;
  readonly #headers: Record<string, string>;

  constructor(
    readonly options: V1Options,
    measurements: readonly Measurement[],
  ) {
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
    this.#writeUrl = `${options.url.replace(/\/+$/, "")}/write?${new URLSearchParams({ db: options.database, precision: "n" })}`;
    this.#headers = { "content-type": "text/plain; charset=utf-8" };
    if (options.username) this.#headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ""}`).toString("base64")}`;
  }

  async ensure(): Promise<void> {
    try {
      await this.#db.createDatabase(this.#database);
    } catch (err) {
      throw new SinkError(`cannot create database ${this.#database}: ${(err as Error).message}`, { status: statusOf(err) });
    }
  }

  #line(p: Point): string {
    const parsed = this.#db.parsePoint({ measurement: p.measurement, tags: p.tags, fields: p.fields }, { precision: "n" });
    let line = escape.measurement(p.measurement);
    for (const t of parsed.tagsNames) line += `,${escape.tag(t)}=${escape.tag(p.tags[t] as string)}`;
    parsed.fieldsPairs.forEach(([k, v], i) => {
      line += `${i === 0 ? " " : ","}${escape.tag(k)}=${v}`;
    });
    return `${line} ${nanoTimestamp(p)}`;
  }

  async write(points: readonly Point[]): Promise<void> {
    let body: string;
    try {
      body = points.map((p) => this.#line(p)).join("\n");
    } catch (err) {
      // the client's schema check: a point the registry does not allow can never be written
      throw new SinkError(`InfluxDB 1.x write: ${(err as Error).message}`, { refusal: { reason: "refused" } });
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.#writeUrl, { method: "POST", headers: this.#headers, body, signal: AbortSignal.timeout(this.options.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: Error };
      const why = e.name === "TimeoutError" ? `no answer within ${this.options.timeoutMs} ms` : `${e.message}${e.cause ? ` (${e.cause.message})` : ""}`;
      throw new SinkError(`InfluxDB 1.x write failed: ${why}`);
    }
    if (!res.ok) throw httpSinkError("InfluxDB 1.x write failed", res.status, text, res.headers.get("retry-after"));
  }

  async close(): Promise<void> {}
}
