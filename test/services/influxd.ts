import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor } from "./ports.ts";
import { startProcess, tempDir, type Running } from "./process.ts";

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface Influxd {
  url: string;
  /** Runs InfluxQL against a database; returns the `series` of the first statement. */
  query(db: string, q: string): Promise<Series[]>;
  /** Stops the server but keeps its data: an outage. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** A real InfluxDB 1.x (Debian's influxd) on free loopback ports with a temp data dir. */
export async function startInfluxd(): Promise<Influxd> {
  const port = await freePort();
  const rpcPort = await freePort();
  const dir = tempDir("influxd");
  const config = join(dir, "influxdb.conf");
  writeFileSync(
    config,
    [
      "reporting-disabled = true",
      `bind-address = "127.0.0.1:${rpcPort}"`,
      "[meta]",
      `  dir = "${dir}/meta"`,
      "[data]",
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      "  query-log-enabled = false",
      "[http]",
      `  bind-address = "127.0.0.1:${port}"`,
      "  log-enabled = false",
      "[monitor]",
      "  store-enabled = false",
      "[continuous_queries]",
      "  enabled = false",
    ].join("\n"),
  );
  const url = `http://127.0.0.1:${port}`;
  let proc: Running;
  const launch = async () => {
    proc = startProcess("influxd", ["-config", config]);
    const p = proc;
    // ours must be the one answering: a free port can be taken by another suite's server before
    // influxd binds it, and then the ping is that server's while this influxd has exited
    const ours = () => p.child.exitCode === null && p.child.signalCode === null;
    await waitFor(`influxd on ${url}`, async () => ours() && (await fetch(`${url}/ping`)).status === 204, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${p.output()}`);
    });
    await new Promise((r) => setTimeout(r, 200));
    if (!ours()) throw new Error(`influxd exited right after answering on ${url} (its port was taken?):\n${p.output()}`);
  };
  await launch();

  return {
    url,
    async query(db, q) {
      const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { results?: Array<{ series?: Series[]; error?: string }>; error?: string };
      const first = body.results?.[0];
      if (!res.ok || body.error || first?.error) throw new Error(`InfluxQL failed: ${body.error ?? first?.error ?? res.status}: ${q}`);
      return first?.series ?? [];
    },
    pause: () => proc.stop("SIGTERM"),
    resume: launch,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
