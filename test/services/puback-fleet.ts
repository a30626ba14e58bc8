import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { startProcess, type Running } from "./process.ts";

/** One event its device got a PUBACK for: its id, its device time, and the InfluxDB series it belongs to. */
export interface Acked {
  eventId: string;
  ts: number;
  series: string;
}

export interface FleetSummary {
  sent: number;
  acked: number;
  unacked: number;
  seconds: number;
}

export interface PubackFleet {
  /** PUBACKs so far (the acks file is flushed every 200 ms) */
  ackedCount(): number;
  acked(): Acked[];
  /** resolves when every event is acknowledged (or the fleet is stopped) */
  done: Promise<FleetSummary>;
  /** SIGTERM: the fleet stops sending, writes what it has and exits */
  stop(): Promise<FleetSummary>;
  output(): string;
}

/**
 * Gate recognisers publishing `total` QoS 1 events at `ratePerSec` over `devices` connections
 * (test/services/puback-publisher.py: Debian's paho, a separate process, so a device's view of
 * what was acknowledged survives anything done to the gateway).
 */
export function startPubackFleet(options: { url: string; site: string; devices: number; total: number; ratePerSec: number; dir: string }): PubackFleet {
  const acksFile = path.join(options.dir, `acks-${Date.now()}.tsv`);
  const proc: Running = startProcess("/usr/bin/python3", [path.join(import.meta.dirname, "puback-publisher.py"), options.url, options.site, String(options.devices), String(options.total), String(options.ratePerSec), acksFile]);
  let out = "";
  proc.child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  const done = new Promise<FleetSummary>((resolve, reject) =>
    proc.child.once("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last) as FleetSummary);
      else reject(new Error(`the publisher exited with ${code}:\n${proc.output()}`));
    }),
  );
  const lines = () => (existsSync(acksFile) ? readFileSync(acksFile, "utf8").split("\n").filter((l) => l !== "") : []);
  return {
    ackedCount: () => lines().length,
    acked: () =>
      lines().map((l) => {
        const [eventId, ts, series] = l.split("\t") as [string, string, string];
        return { eventId, ts: Number(ts), series };
      }),
    done,
    async stop() {
      await proc.stop("SIGTERM");
      return done;
    },
    output: () => proc.output(),
  };
}
