import { rmSync } from "node:fs";
import { freePort, waitFor } from "./ports.ts";
import { startProcess, tempDir } from "./process.ts";

export interface Victoria {
  url: string;
  /** Every raw sample of series matching a selector, via /api/v1/export. */
  export(selector: string): Promise<Array<{ metric: Record<string, string>; values: number[]; timestamps: number[] }>>;
  stop(): Promise<void>;
}

/** Debian's VictoriaMetrics, which accepts InfluxDB 2.x writes on /api/v2/write. */
export async function startVictoria(): Promise<Victoria> {
  const port = await freePort();
  const dir = tempDir("victoria");
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess("victoria-metrics", [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, "-retentionPeriod=100y", "-search.latencyOffset=0s"]);
  await waitFor(`victoria-metrics on ${url}`, async () => (await fetch(`${url}/health`)).ok, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.output()}`);
  });
  return {
    url,
    async export(selector) {
      // Recent writes become searchable after a flush.
      await fetch(`${url}/internal/force_flush`);
      const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(selector)}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`export failed ${res.status}: ${text}`);
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
    },
    async stop() {
      await proc.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
