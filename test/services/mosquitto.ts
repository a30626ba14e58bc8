import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createConnection } from "node:net";
import { freePort, waitFor } from "./ports.ts";
import { startProcess, tempDir, type Running } from "./process.ts";

export interface Mosquitto {
  url: string;
  port: number;
  /** A clean shutdown (SIGTERM: a persistent broker saves its sessions and queues) and a start on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** keep sessions and queued messages across restarts, in the server's temp dir */
  persistence?: boolean;
}

/** A real Mosquitto (Debian's) on a free loopback port, anonymous, with a deep queue for QoS 1 bursts. */
export async function startMosquitto(extraConfig: string[] = [], options: MosquittoOptions = {}): Promise<Mosquitto> {
  const port = await freePort();
  const dir = tempDir("mosquitto");
  const config = join(dir, "mosquitto.conf");
  let persistence = ["persistence false"];
  if (options.persistence) {
    // mosquitto started as root drops to its own user before it writes its database
    const db = join(dir, "db");
    mkdirSync(db);
    chmodSync(dir, 0o755);
    chmodSync(db, 0o777);
    persistence = ["persistence true", `persistence_location ${db}/`];
  }
  writeFileSync(config, [`listener ${port} 127.0.0.1`, "allow_anonymous true", ...persistence, "max_queued_messages 1000000", "max_inflight_messages 0", ...extraConfig].join("\n") + "\n");
  const canConnect = () =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
  let proc: Running;
  const launch = async () => {
    proc = startProcess("mosquitto", ["-c", config]);
    const p = proc;
    await waitFor(`mosquitto on ${port}`, canConnect, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${p.output()}`);
    });
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async restart() {
      await proc.stop("SIGTERM");
      await launch();
    },
    async stop() {
      await proc.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
