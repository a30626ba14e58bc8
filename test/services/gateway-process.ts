import { writeFileSync } from "node:fs";
import path from "node:path";
import { freePort, waitFor } from "./ports.ts";
import { startProcess, type Running } from "./process.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** What /healthz says: 200 with status ok, or 503 while QoS 1 devices go unacknowledged. */
export interface Health {
  httpStatus: number;
  status: string;
  messagesIn: number;
  spoolPoints: number;
  spoolBytes: number;
  spoolDropped: number;
  pointsWritten: number;
}

export interface GatewayProcess {
  httpUrl: string;
  /** `node bin/linli.js start`, then waits until /healthz answers */
  start(): Promise<void>;
  /** kill -9: no shutdown hook runs, as in a crash, an OOM kill or a power cut of the process */
  kill(): Promise<void>;
  /** SIGTERM: the clean stop */
  stop(): Promise<void>;
  health(): Promise<Health>;
  /** the last lines it printed, for failure messages */
  output(): string;
}

/**
 * The gateway as its users run it, a child process with a config file in `dataDir`, HTTP on a
 * free port; `configLines` are the YAML lines of everything else (site, broker, influx, features).
 */
export async function gatewayProcess(dataDir: string, configLines: readonly string[]): Promise<GatewayProcess> {
  const httpPort = await freePort();
  const config = path.join(dataDir, "..", `${path.basename(dataDir)}.yaml`);
  writeFileSync(config, [`dataDir: ${dataDir}`, "logLevel: warn", "logFormat: json", `http: { port: ${httpPort} }`, ...configLines].join("\n") + "\n");
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let proc: Running | undefined;
  let outputs = "";
  const health = async (): Promise<Health> => {
    const res = await fetch(`${httpUrl}/healthz`);
    return { httpStatus: res.status, ...((await res.json()) as Omit<Health, "httpStatus">) };
  };
  return {
    httpUrl,
    async start() {
      if (proc) outputs = (outputs + proc.output()).slice(-4_000);
      const p = startProcess(process.execPath, [path.join(repoRoot, "bin/linli.js"), "start", "--config", config]);
      proc = p;
      const alive = () => p.child.exitCode === null && p.child.signalCode === null;
      await waitFor("the gateway's /healthz", async () => {
        if (!alive()) throw new Error(`linli start exited (${p.child.exitCode ?? p.child.signalCode})`);
        return (await health()).status !== undefined;
      }, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${p.output()}`);
      });
    },
    kill: async () => proc?.stop("SIGKILL"),
    stop: async () => proc?.stop("SIGTERM"),
    health,
    output: () => outputs + (proc?.output() ?? ""),
  };
}
