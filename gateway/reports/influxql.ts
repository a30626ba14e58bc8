import type { Config } from "../config.ts";

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Runs InfluxQL; answers the series of its one statement. */
export type RunQuery = (q: string) => Promise<Series[]>;

/** A quoted InfluxQL string literal. */
export const literal = (s: string): string => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/**
 * Reads the boards' database: InfluxDB 1.x over its HTTP /query API, the way Grafana's InfluxQL
 * datasource does, so the report runs the same language against the same data as the boards.
 */
export function influxQuery(influx: Config["influx"]): RunQuery {
  return async (q) => {
    if (!influx.enabled) throw new Error("influx.enabled is false: the reports have no database to read");
    if (influx.version !== 1) throw new Error("the reports read InfluxDB 1.x with InfluxQL, as the boards do; influx.version 2 is not supported by them yet");
    const url = `${influx.url.replace(/\/+$/, "")}/query?${new URLSearchParams({ db: influx.database, epoch: "ms", q })}`;
    const headers: Record<string, string> = {};
    if (influx.username) headers.authorization = `Basic ${Buffer.from(`${influx.username}:${influx.password ?? ""}`).toString("base64")}`;
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(influx.timeoutMs) });
    const text = await res.text();
    let body: { results?: Array<{ series?: Series[]; error?: string }>; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`InfluxDB answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    const first = body.results?.[0];
    if (!res.ok || body.error || first?.error) throw new Error(`InfluxQL failed (${body.error ?? first?.error ?? `HTTP ${res.status}`}): ${q}`);
    return first?.series ?? [];
  };
}
