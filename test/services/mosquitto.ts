import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createConnection } from "node:net";
import { freePort, waitFor } from "./ports.ts";
import { startProcess, tempDir } from "./process.ts";

export interface Mosquitto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A real Mosquitto (Debian's) on a free loopback port, anonymous, with a deep queue for QoS 1 bursts. */
export async function startMosquitto(extraConfig: string[] = []): Promise<Mosquitto> {
  const port = await freePort();
  const dir = tempDir("mosquitto");
  const config = join(dir, "mosquitto.conf");
  writeFileSync(config, [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "max_queued_messages 1000000", "max_inflight_messages 0", ...extraConfig].join("\n") + "\n");
  const proc = startProcess("mosquitto", ["-c", config]);
  const canConnect = () =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
  await waitFor(`mosquitto on ${port}`, canConnect, 15_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.output()}`);
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      await proc.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
