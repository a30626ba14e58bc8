import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsFeature } from "../gateway/alerts/feature.ts";
import { liftConfigSchema, nodeIdsFor } from "../gateway/lift/config.ts";
import type { ClockSkewChange } from "../gateway/lift/controller/controller-clock.ts";
import type { CarState } from "../gateway/lift/controller/link.ts";
import { OpcuaLink } from "../gateway/lift/controller/opcua-link.ts";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { sleep, waitFor } from "./lift-helpers.ts";
import { startTestGateway } from "./services/gateway.ts";

const timing = { doorDwellMs: 1_500, doorMoveMs: 300, msPerFloor: 500 };
const cfg = liftConfigSchema.parse({});

for (const skewMs of [30_000, -30_000]) {
  const side = skewMs > 0 ? "ahead" : "behind";
  describe(`the lift controller's clock 30 s ${side} of the gateway's (real node-opcua controller)`, () => {
    let sim: SimulatedController;
    let link: OpcuaLink;
    const skews: ClockSkewChange[] = [];

    beforeAll(async () => {
      sim = await startSimulatedController({ port: 0, lifts: ["K1"], timing, minFloor: 1, maxFloor: 10, clockSkewMs: skewMs });
      link = new OpcuaLink({ endpoint: sim.endpoint, nodeIds: (id) => nodeIdsFor(cfg, id), reconnectInitialMs: 100, reconnectMaxMs: 500, onClockSkew: (c) => skews.push(c) });
      link.watch("K1");
      await link.start();
      await link.ready();
    }, 30_000);

    afterAll(async () => {
      await link?.stop();
      await sim?.stop();
    });

    it("measures the controller's offset from its CurrentTime and reports the skew once", () => {
      expect(Math.abs(link.clockOffsetMs - skewMs)).toBeLessThan(100);
      expect(skews).toHaveLength(1);
      expect(skews[0]).toMatchObject({ skewed: true, maxSkewMs: 1_000 });
      expect(Math.abs(skews[0]!.offsetMs - skewMs)).toBeLessThan(100);
    });

    it("a hold lasts its lease in the controller's time: neither lapses at once nor is stretched by 30 s", async () => {
      sim.call("K1", sim.state("K1").floor);
      await waitFor("K1 doors open", () => sim.state("K1").door === "open");
      const leaseMs = 3_000;
      const until = Date.now() + leaseMs;
      const r = await link.hold("K1", until);
      expect(r.ok).toBe(true);
      expect(sim.state("K1").holdActive).toBe(true);
      // the controller holds HoldUntil in its own clock
      expect(Math.abs(sim.car("K1").holdUntil - (until + skewMs))).toBeLessThan(100);
      await sleep(timing.doorDwellMs + 700);
      expect(sim.state("K1").door).toBe("open");
      const closingAt = await waitFor("K1 doors closing after the lease", () => (sim.state("K1").door === "closing" ? Date.now() : false), leaseMs + 3_000, 10);
      expect(closingAt).toBeGreaterThanOrEqual(until - 150);
      expect(closingAt).toBeLessThan(until + 1_000);
    });
  });
}

describe("clock skew alert through the lift alert path (real gateway, real controller)", () => {
  it("raises a lift fault alert naming the skew for the controller's lifts, resolved when the clocks agree again", async () => {
    const sim = await startSimulatedController({ port: 0, lifts: ["K2"], timing, minFloor: 1, maxFloor: 10, clockSkewMs: 30_000 });
    const gw = await startTestGateway({
      influx: { enabled: false },
      lift: { link: "opcua", opcua: { endpoint: sim.endpoint, reconnectInitialMs: 100, reconnectMaxMs: 500, clockCheckMs: 1_000, maxClockSkewMs: 20_000 }, lifts: { K2: {} } },
      alerts: { console: { enabled: false }, evidence: { fetch: false }, rules: { liftFaultGraceMs: 0 } },
    });
    try {
      const store = gw.gateway.feature(alertsFeature)?.store;
      const alert = await waitFor("the lift_fault alert for K2", () => store?.unresolved().find((a) => a.type === "lift_fault" && a.place.device === "K2"), 15_000);
      expect(alert.summary).toMatch(/^lift controller clock 30\.0 s ahead of the gateway's \(more than 20000 ms\)/);
      // within the configured limit: not a fault any more, and the alert closes by itself
      sim.setClockSkew(15_000);
      await waitFor("the clock alert resolved", () => store?.get(alert.id)?.state === "resolved", 10_000);
      expect(store?.unresolved().filter((a) => a.place.device === "K2")).toEqual([]);
    } finally {
      await gw.stop();
      await sim.stop();
    }
  }, 30_000);
});

// Reconnection last, as in lift-opcua.test.ts: node-opcua may still be settling the restored
// session's subscription when a link stops, and its late events must not land in another test.
describe("the offset is measured again", () => {
  it("every clockCheckMs: a controller clock stepped while connected is followed, and the lease with it", async () => {
    const sim = await startSimulatedController({ port: 0, lifts: ["K3"], timing, minFloor: 1, maxFloor: 10 });
    const skews: ClockSkewChange[] = [];
    const link = new OpcuaLink({ endpoint: sim.endpoint, nodeIds: (id) => nodeIdsFor(cfg, id), clockCheckMs: 200, onClockSkew: (c) => skews.push(c) });
    link.watch("K3");
    try {
      await link.start();
      await link.ready();
      expect(Math.abs(link.clockOffsetMs)).toBeLessThan(100);
      expect(skews).toEqual([]);
      // stepped forward: the car model, like a real controller's timers, does not run backwards
      sim.setClockSkew(8_000);
      await waitFor("the stepped clock measured", () => Math.abs(link.clockOffsetMs - 8_000) < 100, 3_000);
      expect(skews.map((c) => c.skewed)).toEqual([true]);
      sim.call("K3", sim.state("K3").floor);
      await waitFor("K3 doors open", () => sim.state("K3").door === "open");
      const until = Date.now() + 2_000;
      expect((await link.hold("K3", until)).ok).toBe(true);
      expect(Math.abs(sim.car("K3").holdUntil - (until + 8_000))).toBeLessThan(100);
      sim.setClockSkew(0);
      await waitFor("the clocks agree again", () => skews.length === 2, 3_000);
      expect(skews[1]).toMatchObject({ skewed: false });
    } finally {
      await link.stop();
      await sim.stop();
    }
  }, 30_000);

  it("on reconnection: a controller back with another clock gets leases in its new time", async () => {
    const first = await startSimulatedController({ port: 0, lifts: ["K4"], timing, minFloor: 1, maxFloor: 10, clockSkewMs: 30_000 });
    const port = first.port;
    const link = new OpcuaLink({ endpoint: first.endpoint, nodeIds: (id) => nodeIdsFor(cfg, id), reconnectInitialMs: 100, reconnectMaxMs: 400 });
    const states: Array<CarState | null> = [];
    link.onState((_id, st) => states.push(st));
    link.watch("K4");
    let second: SimulatedController | undefined;
    try {
      await link.start();
      await link.ready();
      expect(Math.abs(link.clockOffsetMs - 30_000)).toBeLessThan(100);
      await waitFor("K4 state", () => states.at(-1));
      await first.stop();
      await waitFor("K4 unknown while the controller is away", () => states.at(-1) === null, 10_000);
      second = await startSimulatedController({ port, lifts: ["K4"], timing, minFloor: 1, maxFloor: 10, clockSkewMs: -30_000 });
      await waitFor("the new clock measured after reconnection", () => Math.abs(link.clockOffsetMs + 30_000) < 100, 20_000);
      // and the session is whole again (state flows) before the link is stopped
      await waitFor("K4 state after reconnection", () => states.at(-1), 20_000);
      const sim2 = second;
      sim2.call("K4", sim2.state("K4").floor);
      await waitFor("K4 doors open seen after reconnection", () => states.at(-1)?.door === "open", 10_000);
      const until = Date.now() + 2_000;
      expect((await link.hold("K4", until)).ok).toBe(true);
      expect(Math.abs(sim2.car("K4").holdUntil - (until - 30_000))).toBeLessThan(100);
    } finally {
      await link.stop();
      await second?.stop();
    }
  }, 40_000);
});
