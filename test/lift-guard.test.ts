import { describe, expect, it } from "vitest";
import type { CarState } from "../gateway/lift/controller/link.ts";
import { LiftGuard, type GuardAction, type GuardSettings } from "../gateway/lift/guard.ts";

const settings: GuardSettings = {
  canHold: true,
  confirmN: 3,
  confirmM: 5,
  threshold: 0.5,
  leaseMs: 5_000,
  renewMs: 1_500,
  clearReleaseMs: 3_000,
  maxHoldMs: 60_000,
  frameStaleMs: 3_000,
  stateStaleMs: Infinity,
  announcement: "please take the e-bike out",
  announceRepeatMs: 15_000,
};

const openCar: CarState = { floor: 3, door: "open", moving: false, direction: "none", mode: "normal" };
const FRAME_MS = 250; // 4 frames a second

/** A guard on a virtual clock, fed frames at 4/s; collects every action it returns. */
function rig(overrides: Partial<GuardSettings> = {}, car: CarState | null = openCar) {
  let now = 1_000_000;
  const actions: GuardAction[] = [];
  const guard = new LiftGuard("lift-01", { ...settings, ...overrides }, now);
  const take = (a: GuardAction[]) => {
    actions.push(...a);
    return a;
  };
  take(guard.carState(car, now));
  return {
    guard,
    actions,
    get now() {
      return now;
    },
    /** one frame per FRAME_MS with these scores, ticking in between */
    frames(scores: number[]) {
      for (const score of scores) {
        now += FRAME_MS;
        take(guard.observe({ frameTs: now - 40, score }, now));
      }
    },
    /** advances the clock without frames, ticking every 100 ms */
    wait(ms: number) {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + 100);
        take(guard.tick(now));
      }
    },
    car(state: CarState | null) {
      take(guard.carState(state, now));
    },
    do(f: (now: number) => GuardAction[]) {
      return take(f(now));
    },
    count(type: GuardAction["type"]) {
      return actions.filter((a) => a.type === type).length;
    },
    ended() {
      return actions.flatMap((a) => (a.type === "hold_ended" ? [a.reason] : []));
    },
    alerts() {
      return actions.flatMap((a) => (a.type === "alert" ? [a.kind] : []));
    },
  };
}

describe("lift guard: confirmation", () => {
  it("holds after N of the last M frames pass the threshold, with an announcement", () => {
    const r = rig();
    r.frames([0.9, 0.1, 0.8]);
    expect(r.guard.holding).toBe(false);
    r.frames([0.7]);
    expect(r.guard.holding).toBe(true);
    expect(r.count("hold_started")).toBe(1);
    expect(r.count("announce")).toBe(1);
    const hold = r.actions.find((a) => a.type === "hold");
    expect(hold && hold.type === "hold" && hold.until).toBe(r.now + settings.leaseMs);
  });

  it("does not hold on isolated high frames (one in five)", () => {
    const r = rig();
    r.frames([0.9, 0.1, 0.1, 0.1, 0.1, 0.95, 0.1, 0.1, 0.1, 0.1, 0.9, 0.2, 0.2, 0.2, 0.2]);
    expect(r.count("hold")).toBe(0);
  });

  it("uses the model's threshold when the config has none", () => {
    const r = rig({ threshold: null });
    for (let i = 0; i < 5; i++) r.do((now) => r.guard.observe({ frameTs: now, score: 0.4, modelThreshold: 0.6 }, now));
    expect(r.guard.holding).toBe(false);
    for (let i = 0; i < 3; i++) r.do((now) => r.guard.observe({ frameTs: now, score: 0.65, modelThreshold: 0.6 }, now));
    expect(r.guard.holding).toBe(true);
  });
});

describe("lift guard: when it must not hold", () => {
  it("never holds a moving car", () => {
    const r = rig({}, { floor: 3, door: "closed", moving: true, direction: "up", mode: "normal" });
    r.frames(Array(20).fill(0.95));
    expect(r.count("hold")).toBe(0);
  });

  it.each(["fire", "inspection", "out_of_service"] as const)("never holds in %s mode, even with doors open", (mode) => {
    const r = rig({}, { ...openCar, mode });
    r.frames(Array(20).fill(0.95));
    expect(r.count("hold")).toBe(0);
  });

  it("never holds with doors closing or closed, and holds when they open at a landing", () => {
    const r = rig({}, { ...openCar, door: "closed" });
    r.frames(Array(8).fill(0.95));
    expect(r.count("hold")).toBe(0);
    r.car({ ...openCar, door: "closing" });
    r.frames([0.95]);
    expect(r.count("hold")).toBe(0);
    r.car({ ...openCar, door: "opening" });
    expect(r.guard.holding).toBe(true);
    expect(r.guard.hold?.trigger).toBe("car");
  });

  it("never holds when the car state is unknown", () => {
    const r = rig({}, null);
    r.frames(Array(10).fill(0.95));
    expect(r.count("hold")).toBe(0);
  });

  it("never holds after a detector fault, until good verdicts have confirmed again", () => {
    const r = rig();
    r.frames([0.9, 0.9]);
    r.do((now) => r.guard.fault("inference_failed", now));
    expect(r.alerts()).toContain("fault");
    r.frames([0.9, 0.9]); // the two before the fault do not count
    expect(r.guard.holding).toBe(false);
    r.frames([0.9]);
    expect(r.guard.holding).toBe(true);
    expect(r.alerts()).toContain("fault_cleared");
  });

  it("never holds when the detector is missing (no frames ever) and raises a fault", () => {
    const r = rig();
    r.wait(settings.frameStaleMs + 500);
    expect(r.alerts()).toEqual(["fault"]);
    expect(r.guard.status(r.now).fault).toBe("no_frames");
    expect(r.count("hold")).toBe(0);
  });

  it("never holds when the link cannot hold (canHold false)", () => {
    const r = rig({ canHold: false });
    r.frames(Array(10).fill(0.95));
    expect(r.count("hold")).toBe(0);
  });
});

describe("lift guard: holding", () => {
  it("renews the lease while the e-bike is seen and releases after it has been clear for clearReleaseMs", () => {
    const r = rig();
    r.frames(Array(3).fill(0.9));
    expect(r.guard.holding).toBe(true);
    r.frames(Array(40).fill(0.9)); // 10 s
    const renewals = r.actions.filter((a) => a.type === "hold" && !a.first).length;
    expect(renewals).toBeGreaterThanOrEqual(5);
    expect(renewals).toBeLessThanOrEqual(8);
    // every lease written is still valid at the next write: the doors never lapse in between
    const writes = r.actions.flatMap((a) => (a.type === "hold" ? [a.until] : []));
    // (a write made at t leases until t + leaseMs, so the next write's time is its until - leaseMs)
    for (let i = 1; i < writes.length; i++) expect(writes[i]! - settings.leaseMs).toBeLessThan(writes[i - 1]!);
    r.frames(Array(8).fill(0.1)); // 2 s clear: still held
    expect(r.guard.holding).toBe(true);
    r.frames(Array(6).fill(0.1)); // 3.5 s clear
    expect(r.guard.holding).toBe(false);
    expect(r.ended()).toEqual(["cleared"]);
    expect(r.count("release")).toBe(1);
  });

  it("flapping scores do not flap the hold: one hold, one release", () => {
    const r = rig();
    const flapping = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? 0.9 : 0.2)); // 30 s of flapping
    r.frames(flapping);
    expect(r.count("hold_started")).toBe(1);
    expect(r.count("release")).toBe(0);
    r.frames(Array(16).fill(0.1));
    expect(r.count("hold_started")).toBe(1);
    expect(r.ended()).toEqual(["cleared"]);
  });

  it("a score hovering around the threshold (2 in 5 high) never starts a hold", () => {
    const r = rig();
    r.frames(Array.from({ length: 100 }, (_, i) => (i % 5 < 2 ? 0.55 : 0.45)));
    expect(r.count("hold")).toBe(0);
  });

  it("at the maximum hold time releases, alerts, and waits for a clear car before holding again", () => {
    const r = rig({ maxHoldMs: 20_000 });
    r.frames(Array(3).fill(0.9));
    const start = r.now;
    r.frames(Array(100).fill(0.9)); // 25 s of e-bike
    expect(r.ended()).toEqual(["max_hold"]);
    expect(r.alerts()).toContain("max_hold");
    const ended = r.actions.find((a) => a.type === "hold_ended");
    expect(ended && ended.type === "hold_ended" && ended.endedAt - start).toBeGreaterThanOrEqual(20_000);
    expect(ended && ended.type === "hold_ended" && ended.endedAt - start).toBeLessThan(20_000 + FRAME_MS + 1);
    expect(r.count("hold_started")).toBe(1); // not re-held while the e-bike stays
    r.frames(Array(16).fill(0.05)); // 4 s clear: re-armed
    r.frames(Array(3).fill(0.9));
    expect(r.count("hold_started")).toBe(2);
  });

  it("releases when the car moves or leaves normal mode while held (safety)", () => {
    const r = rig();
    r.frames(Array(3).fill(0.9));
    r.car({ ...openCar, mode: "fire" });
    expect(r.ended()).toEqual(["safety"]);
    r.car(openCar);
    r.frames([0.9]);
    expect(r.guard.holding).toBe(true);
    r.car({ ...openCar, door: "closed", moving: true, direction: "up" });
    expect(r.ended()).toEqual(["safety", "safety"]);
  });

  it("releases with end reason fault when frames stop or the detector faults", () => {
    const r = rig();
    r.frames(Array(3).fill(0.9));
    r.wait(settings.frameStaleMs + 200);
    expect(r.ended()).toEqual(["fault"]);
    expect(r.guard.holding).toBe(false);
    r.frames(Array(3).fill(0.9));
    expect(r.guard.holding).toBe(true);
    r.do((now) => r.guard.fault("model_missing", now));
    expect(r.ended()).toEqual(["fault", "fault"]);
  });

  it("keeps the peak score and its frame as evidence", () => {
    const r = rig();
    const img = (n: number) => ({ data: Buffer.from([0xff, 0xd8, 0xff, n]), format: "jpeg" as const });
    r.do((now) => r.guard.observe({ frameTs: now, score: 0.7, image: img(1) }, now));
    r.do((now) => r.guard.observe({ frameTs: now, score: 0.8, image: img(2) }, now));
    r.do((now) => r.guard.observe({ frameTs: now, score: 0.75, image: img(3) }, now));
    expect(r.guard.hold?.best.image?.data[3]).toBe(2);
    r.do((now) => r.guard.observe({ frameTs: now, score: 0.95, image: img(4) }, now));
    expect(r.guard.hold?.best.score).toBe(0.95);
    expect(r.guard.hold?.best.image?.data[3]).toBe(4);
  });
});

describe("lift guard: staff", () => {
  it("a staff release ends the hold and does not re-hold on the same e-bike", () => {
    const r = rig();
    r.frames(Array(3).fill(0.9));
    r.do((now) => r.guard.staffRelease(now));
    expect(r.ended()).toEqual(["staff"]);
    r.frames(Array(20).fill(0.9));
    expect(r.count("hold_started")).toBe(1);
    r.frames(Array(16).fill(0.1));
    r.frames(Array(3).fill(0.9));
    expect(r.count("hold_started")).toBe(2);
  });

  it("disable ends a hold and prevents holds until it expires", () => {
    const r = rig();
    r.frames(Array(3).fill(0.9));
    r.do((now) => r.guard.staffDisable(now + 10_000, now));
    expect(r.ended()).toEqual(["staff"]);
    r.frames(Array(36).fill(0.9)); // 9 s
    expect(r.count("hold_started")).toBe(1);
    r.frames(Array(8).fill(0.9)); // past the 10 s
    expect(r.count("hold_started")).toBe(2);
  });

  it("enable lifts a disable early", () => {
    const r = rig();
    r.do((now) => r.guard.staffDisable(now + 600_000, now));
    r.frames(Array(5).fill(0.9));
    expect(r.guard.holding).toBe(false);
    r.do((now) => r.guard.staffEnable(now));
    r.frames([0.9]);
    expect(r.guard.holding).toBe(true);
  });
});
