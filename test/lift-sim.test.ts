import { describe, expect, it } from "vitest";
import { SimCar } from "../gateway/lift/sim/car.ts";

const T0 = 1_000_000;
const timing = { doorDwellMs: 4_000, doorMoveMs: 1_000, msPerFloor: 2_000, maxLeaseMs: 60_000 };

/** a car on virtual time, stepped every 50 ms */
function car(floor = 5) {
  const c = new SimCar(1, 20, floor, timing);
  let now = T0;
  c.tick(now);
  return {
    c,
    get now() {
      return now;
    },
    run(ms: number, each?: (t: number) => void) {
      const end = now + ms;
      while (now < end) {
        now += 50;
        c.tick(now);
        each?.(now);
      }
    },
  };
}

describe("simulated car (virtual time)", () => {
  it("opens, dwells about 4 s, closes, and travels about 2 s a floor", () => {
    const r = car(5);
    r.c.call(5, r.now);
    expect(r.c.door).toBe("opening");
    let openedAt = 0;
    let closingAt = 0;
    r.run(8_000, (t) => {
      if (!openedAt && r.c.door === "open") openedAt = t;
      if (!closingAt && r.c.door === "closing") closingAt = t;
    });
    expect(openedAt - T0).toBe(1_000);
    expect(closingAt - openedAt).toBe(4_000);
    expect(r.c.door).toBe("closed");
    const start = r.now;
    r.c.call(8, r.now);
    let arrivedAt = 0;
    r.run(10_000, (t) => {
      if (!arrivedAt && r.c.floor === 8 && !r.c.moving) arrivedAt = t;
    });
    expect(arrivedAt - start).toBe(3 * 2_000);
  });

  it("a lease keeps the doors open and lapses by itself; a lease too far ahead is clamped", () => {
    const r = car(5);
    r.c.call(5, r.now);
    r.run(1_500);
    expect(r.c.writeHold(r.now + 10_000, r.now)).toBe("accepted");
    const leaseEnd = r.now + 10_000;
    let closingAt = 0;
    r.run(15_000, (t) => {
      if (!closingAt && r.c.door === "closing") closingAt = t;
    });
    expect(closingAt).toBe(leaseEnd);
    expect(r.c.writeHold(r.now + 3_600_000, r.now)).toBe("accepted");
    expect(r.c.holdUntil).toBe(r.now + timing.maxLeaseMs);
  });

  it("a hold reopens closing doors, as the door-open button does", () => {
    const r = car(5);
    r.c.call(5, r.now);
    r.run(5_200); // closing now
    expect(r.c.door).toBe("closing");
    r.c.writeHold(r.now + 5_000, r.now);
    expect(r.c.door).toBe("opening");
  });

  it("refuses holds while moving or outside normal mode, and a mode change drops a hold", () => {
    const r = car(5);
    r.c.call(9, r.now);
    r.run(500);
    expect(r.c.moving).toBe(true);
    expect(r.c.writeHold(r.now + 5_000, r.now)).toBe("rejected_moving");
    r.run(20_000);
    r.c.call(r.c.floor, r.now);
    r.run(1_500);
    expect(r.c.writeHold(r.now + 30_000, r.now)).toBe("accepted");
    r.c.setMode("inspection", r.now);
    expect(r.c.holdUntil).toBe(0);
    expect(r.c.writeHold(r.now + 30_000, r.now)).toBe("rejected_mode");
    r.run(2_000);
    expect(r.c.door).toBe("closed");
  });

  it("fire mode recalls the car to floor 1 non-stop and keeps its doors open there", () => {
    const r = car(6);
    r.c.setMode("fire", r.now);
    r.c.call(3, r.now); // ignored in fire mode
    const floors: number[] = [];
    r.run(20_000, () => {
      if (floors.at(-1) !== r.c.floor) floors.push(r.c.floor);
    });
    expect(floors).toEqual([6, 5, 4, 3, 2, 1]);
    expect(r.c.door).toBe("open");
    r.run(30_000);
    expect(r.c.door).toBe("open");
    expect(r.c.writeHold(r.now + 5_000, r.now)).toBe("rejected_mode");
  });
});
