import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connectAsync } from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { BICYCLE, image } from "./detector-fixtures.ts";
import { sleep, waitFor } from "./lift-helpers.ts";
import { freePort } from "./services/ports.ts";

const timing = { doorDwellMs: 2_000, doorMoveMs: 400, msPerFloor: 500 };
let sim: SimulatedController;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "linli-lift-kill-"));

beforeAll(async () => {
  sim = await startSimulatedController({ port: 0, lifts: ["G1"], timing, minFloor: 1, maxFloor: 10 });
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("kill -9 of the whole gateway while it holds a lift: the hold lapses within the lease", async () => {
  const leaseMs = 3_000;
  const brokerPort = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./lift-gateway-child.ts", import.meta.url)), sim.endpoint, String(brokerPort), dataDir, String(leaseMs), "G1"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_c, signal) => resolve(signal)));
  const camera = await (async () => {
    await waitFor("gateway child ready", () => out.includes("READY") || child.exitCode !== null, 60_000);
    if (!out.includes("READY")) throw new Error(`gateway child failed: ${err.slice(-2000)}`);
    return connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 0 });
  })();
  let streaming = true;
  try {
    sim.call("G1", sim.state("G1").floor);
    await waitFor("G1 doors open", () => sim.state("G1").door === "open");
    const bicycle = await image(BICYCLE);
    void (async () => {
      while (streaming) {
        await camera.publishAsync("linli/kill/lift/G1/frame", bicycle, { qos: 0 }).catch(() => {});
        await sleep(200);
      }
    })();
    // the rider keeps pressing the landing button until the gateway holds (a loaded machine may judge slowly)
    const pressing = setInterval(() => {
      if (sim.state("G1").door === "open") sim.call("G1", sim.state("G1").floor);
    }, 500);
    try {
      await waitFor("G1 held by the gateway", () => sim.state("G1").holdActive, 20_000);
    } finally {
      clearInterval(pressing);
    }
    await sleep(timing.doorDwellMs + 500);
    expect(sim.state("G1").door).toBe("open"); // held past the dwell by a live gateway
    const killedAt = Date.now();
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const lapsedAt = await waitFor("hold lapsed", () => (!sim.state("G1").holdActive ? Date.now() : false), leaseMs + 2_000, 10);
    expect(lapsedAt - killedAt).toBeLessThanOrEqual(leaseMs + 200);
    await waitFor("doors close", () => sim.state("G1").door === "closed", 3_000);
  } finally {
    streaming = false;
    await camera.endAsync(true).catch(() => {});
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}, 90_000);
