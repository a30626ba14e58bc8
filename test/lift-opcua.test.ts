import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liftConfigSchema, nodeIdsFor } from "../gateway/lift/config.ts";
import type { CarState } from "../gateway/lift/controller/link.ts";
import { OpcuaLink } from "../gateway/lift/controller/opcua-link.ts";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { sleep, waitFor } from "./lift-helpers.ts";

// Short but realistic proportions: dwell 1.5 s, doors move in 0.3 s, 0.5 s a floor.
const timing = { doorDwellMs: 1_500, doorMoveMs: 300, msPerFloor: 500 };
const cfg = liftConfigSchema.parse({});

let sim: SimulatedController;
let link: OpcuaLink;
const seen = new Map<string, CarState | null>();

beforeAll(async () => {
  sim = await startSimulatedController({ port: 0, lifts: ["L1", "L2", "L3", "L4"], timing, minFloor: 1, maxFloor: 20 });
  link = new OpcuaLink({ endpoint: sim.endpoint, nodeIds: (id) => nodeIdsFor(cfg, id), reconnectInitialMs: 100, reconnectMaxMs: 500 });
  link.onState((id, s) => seen.set(id, s));
  for (const id of sim.liftIds) link.watch(id);
  await link.start();
  await link.ready();
}, 30_000);

afterAll(async () => {
  await link?.stop();
  await sim?.stop();
});

async function openDoors(id: string): Promise<void> {
  sim.call(id, sim.state(id).floor);
  await waitFor(`${id} doors open (controller)`, () => sim.state(id).door === "open");
  await waitFor(`${id} doors open (seen over OPC UA)`, () => seen.get(id)?.door === "open");
}

describe("OPC UA link against the simulated controller", () => {
  it("follows car state through subscriptions", async () => {
    sim.call("L1", sim.state("L1").floor + 2);
    await waitFor("L1 moving over OPC UA", () => seen.get("L1")?.moving === true && seen.get("L1")?.direction === "up");
    await waitFor("L1 arrived and opened", () => seen.get("L1")?.door === "open" || seen.get("L1")?.door === "opening", 10_000);
    expect(seen.get("L1")?.floor).toBe(sim.state("L1").floor);
    expect(seen.get("L1")?.mode).toBe("normal");
  });

  it("a hold keeps the doors open past the dwell, then lapses by itself when the lease is not renewed", async () => {
    await openDoors("L2");
    const leaseMs = 3_000;
    const until = Date.now() + leaseMs;
    const r = await link.hold("L2", until);
    expect(r.ok).toBe(true);
    expect(sim.state("L2").holdActive).toBe(true);
    await sleep(timing.doorDwellMs + 700); // well past the dwell
    expect(sim.state("L2").door).toBe("open");
    expect(seen.get("L2")?.door).toBe("open");
    // nothing more is written: the controller lets the hold lapse at the lease
    const closingAt = await waitFor("L2 doors closing after the lease", () => (sim.state("L2").door === "closing" ? Date.now() : false), leaseMs + 3_000, 10);
    expect(closingAt).toBeGreaterThanOrEqual(until - 60); // not before the lease (tick granularity)
    expect(closingAt).toBeLessThan(until + 1_000);
    expect(sim.state("L2").holdActive).toBe(false);
  });

  it("renewing the lease keeps the doors open; a release closes them", async () => {
    await openDoors("L3");
    for (let i = 0; i < 5; i++) {
      expect((await link.hold("L3", Date.now() + 1_500)).ok).toBe(true);
      await sleep(600);
    }
    expect(sim.state("L3").door).toBe("open"); // 3 s > dwell, still open
    expect((await link.release("L3")).ok).toBe(true);
    await waitFor("L3 closing after release", () => sim.state("L3").door === "closing" || sim.state("L3").door === "closed", timing.doorDwellMs + 1_000);
  });

  it("a moving car ignores a hold: the write is refused and the car keeps travelling", async () => {
    const from = sim.state("L4").floor;
    sim.call("L4", from + 6);
    await waitFor("L4 moving", () => sim.state("L4").moving);
    const r = await link.hold("L4", Date.now() + 10_000);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/BadInvalidState/);
    expect(sim.state("L4").holdUntil).toBe(0);
    await waitFor("L4 arrives", () => sim.state("L4").floor === from + 6 && !sim.state("L4").moving, 10_000);
    // and it was not stopped on the way: it reached the called floor, doors then dwell and close normally
    await waitFor("L4 closes after the normal dwell", () => sim.state("L4").door === "closed", timing.doorDwellMs + 3_000);
  });

  it("fire mode drops a hold at once and refuses new ones; announcements reach the car", async () => {
    await openDoors("L1");
    expect((await link.hold("L1", Date.now() + 20_000)).ok).toBe(true);
    expect((await link.announce("L1", "please take the e-bike out")).ok).toBe(true);
    expect(sim.car("L1").announcements.at(-1)?.text).toBe("please take the e-bike out");
    sim.setMode("L1", "fire");
    expect(sim.state("L1").holdActive).toBe(false);
    await waitFor("L1 mode fire over OPC UA", () => seen.get("L1")?.mode === "fire");
    const r = await link.hold("L1", Date.now() + 20_000);
    expect(r.ok).toBe(false);
    expect(sim.state("L1").holdUntil).toBe(0);
    sim.setMode("L1", "inspection");
    expect((await link.hold("L1", Date.now() + 20_000)).ok).toBe(false);
    sim.setMode("L1", "normal");
  });
});

describe("OPC UA link reconnection", () => {
  it("reports state unknown while the controller is away, and resumes when it is back on the same port", async () => {
    const own = await startSimulatedController({ port: 0, lifts: ["R1"], timing, minFloor: 1, maxFloor: 10 });
    const port = own.port;
    const states: (CarState | null)[] = [];
    const l = new OpcuaLink({ endpoint: own.endpoint, nodeIds: (id) => nodeIdsFor(cfg, id), reconnectInitialMs: 100, reconnectMaxMs: 400 });
    l.onState((_id, s) => states.push(s));
    l.watch("R1");
    await l.start();
    let restarted: SimulatedController | null = null;
    try {
      await l.ready();
      await waitFor("R1 state", () => states.at(-1));
      await own.stop();
      await waitFor("R1 unknown after the controller went away", () => states.at(-1) === null, 10_000);
      expect((await l.hold("R1", Date.now() + 2_000)).ok).toBe(false);
      restarted = await startSimulatedController({ port, lifts: ["R1"], timing, minFloor: 1, maxFloor: 10 });
      await waitFor("R1 state again after reconnection", () => states.at(-1), 20_000);
      const sim2 = restarted;
      sim2.call("R1", sim2.state("R1").floor);
      await waitFor("R1 doors open seen after reconnection", () => states.at(-1)?.door === "open", 10_000);
      expect((await l.hold("R1", Date.now() + 2_000)).ok).toBe(true);
      expect(sim2.state("R1").holdActive).toBe(true);
    } finally {
      await l.stop();
      await restarted?.stop();
    }
  }, 60_000);

  it("stops within seconds when the controller has gone, so the gateway can still shut down", async () => {
    const own = await startSimulatedController({ port: 0, lifts: ["R2"], timing, minFloor: 1, maxFloor: 10 });
    const l = new OpcuaLink({ endpoint: own.endpoint, nodeIds: (id) => nodeIdsFor(cfg, id), reconnectInitialMs: 100, reconnectMaxMs: 400 });
    const states: (CarState | null)[] = [];
    l.onState((_id, s) => states.push(s));
    l.watch("R2");
    await l.start();
    await l.ready();
    await own.stop();
    await waitFor("R2 unknown after the controller went away", () => states.at(-1) === null, 10_000);
    const started = Date.now();
    await l.stop();
    // each of its steps waits at most 2 s on the controller; before the bound, stop() never returned
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
