import { InfluxDB } from "influx";
import { LinePoster } from "./line-post.ts";
import type { Measurement, Point } from "./point.ts";
import { SinkError, type Sink } from "./sink.ts";

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
 * InfluxDB 1.x. The `influx` client creates the database, where it serves; the points are not
 * written through it (line-post.ts): its line protocol took 2.1-2.6 times the CPU of our own
 * encoder per gate point, and its pool reports a 5xx without its status or Retry-After and then
 * takes the host out of service on its own schedule, while the writer needs both to back off as told.
 */
export class V1Sink implements Sink {
  readonly #db: InfluxDB;
  readonly #database: string;
  readonly #poster: LinePoster;

  constructor(
    readonly options: V1Options,
    measurements: readonly Measurement[],
  ) {
    const url = new URL(options.url);
    this.#database = options.database;
    this.#db = new InfluxDB({
      hosts: [{ host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 8086)), protocol: url.protocol === "https:" ? "https" : "http" }],
      database: options.database,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      pool: { requestTimeout: options.timeoutMs, maxRetries: 0 },
    });
    const writeUrl = `${options.url.replace(/\/+$/, "")}/write?${new URLSearchParams({ db: options.database, precision: "n" })}`;
    const headers: Record<string, string> = options.username ? { authorization: `Basic ${Buffer.from(`${options.username}:${options.password ?? ""}`).toString("base64")}` } : {};
    this.#poster = new LinePoster("InfluxDB 1.x write", writeUrl, headers, options.timeoutMs, measurements);
  }

  async ensure(): Promise<void> {
    try {
      await this.#db.createDatabase(this.#database);
    } catch (err) {
      throw new SinkError(`cannot create database ${this.#database}: ${(err as Error).message}`, { status: statusOf(err) });
    }
  }

  write(points: readonly Point[]): Promise<void> {
    return this.#poster.write(points);
  }

  async close(): Promise<void> {}
}
