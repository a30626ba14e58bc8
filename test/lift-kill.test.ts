import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { sleep, waitFor } from "./lift-helpers.ts";

const timing = { doorDwellMs: 1_500, doorMoveMs: 300, msPerFloor: 500 };
let sim: SimulatedController;

beforeAll(async () => {
  sim = await startSimulatedController({ port: 0, lifts: ["K1"], timing, minFloor: 1, maxFloor: 10 });
}, 30_000);

afterAll(async () => {
  await sim?.stop();
});

it("kill -9 of the process holding a lift: the controller lets the hold lapse within the lease", async () => {
  const leaseMs = 3_000;
  sim.call("K1", sim.state("K1").floor);
  await waitFor("K1 doors open", () => sim.state("K1").door === "open");
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./lift-kill-child.ts", import.meta.url)), sim.endpoint, "K1", String(leaseMs)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", () => {}); // node-opcua's warnings
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  try {
    await waitFor("child holding", () => out.includes("HOLDING"), 20_000);
    await sleep(timing.doorDwellMs + 1_000); // held past the dwell by a live, renewing process
    expect(sim.state("K1").door).toBe("open");
    expect(sim.state("K1").holdActive).toBe(true);
    const leaseAtKill = sim.state("K1").holdUntil;
    const killedAt = Date.now();
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const lapsedAt = await waitFor("hold lapsed", () => (!sim.state("K1").holdActive ? Date.now() : false), leaseMs + 2_000, 10);
    // the last lease written before the kill bounds the hold: no later than one lease after the kill
    expect(lapsedAt - killedAt).toBeLessThanOrEqual(leaseMs + 200);
    expect(lapsedAt).toBeGreaterThanOrEqual(leaseAtKill - 60);
    await waitFor("doors close after the lapse", () => sim.state("K1").door === "closed", timing.doorMoveMs + 2_000);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}, 60_000);
