/** The devices page's roster alone: the offline rule, rejects of the last hour, today's gate passes, the registry's list. */
import { describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import type { DeviceEvent } from "../devices/types.ts";
import { boardLink } from "../gateway/devices-page/grafana-link.ts";
import { DeviceRoster } from "../gateway/devices-page/roster.ts";

const T0 = Date.parse("2026-12-03T15:59:00Z"); // 23:59 in Shanghai
const roster = (overrides: Record<string, number> = {}) => new DeviceRoster("s", deviceKinds, overrides, "Asia/Shanghai", T0);
const event = (kind: string, deviceId: string, channel: string, data: unknown, at: number): DeviceEvent => ({ site: "s", kind, deviceId, channel, ts: at, receivedAt: at, data });
const pass = (n: number, granted: boolean) => ({ eventId: `e${n}`, direction: "in", granted, confidence: 0.9, method: "card", personId: "p" });
const view = (r: DeviceRoster, id: string, now: number) => r.view(now).find((d) => d.id === id);

describe("device roster", () => {
  it("calls a device offline only once it has been quiet for longer than its kind allows, an alerts override first", () => {
    const r = roster({ lift: 2_000 });
    expect(r.heard(event("lift", "L1", "state", { floor: 1, door: "open", moving: false, direction: "none", mode: "normal" }, T0))).toEqual({ kind: "lift", id: "L1", state: "online" });
    r.heard(event("charger", "C1", "ack", { seq: 1, ok: true }, T0));
    expect(r.check(T0 + 2_000)).toEqual([]);
    expect(r.check(T0 + 2_001)).toEqual([{ kind: "lift", id: "L1", state: "offline" }]);
    // a charger keeps its own 120 s; a change is reported once
    expect(r.check(T0 + 120_000)).toEqual([]);
    expect(r.check(T0 + 120_001)).toEqual([{ kind: "charger", id: "C1", state: "offline" }]);
    expect(r.check(T0 + 200_000)).toEqual([]);
    expect(r.heard(event("lift", "L1", "frame", {}, T0 + 200_000))).toEqual({ kind: "lift", id: "L1", state: "online" });
  });

  it("never calls a kind offline whose limit is 0, and ignores unknown kinds and other sites", () => {
    const r = roster({ throw: 0 });
    r.heard(event("throw", "T1", "status", { uptimeS: 1 }, T0));
    r.heard(event("boiler", "B1", "status", {}, T0));
    r.heard({ ...event("lift", "L1", "frame", {}, T0), site: "other" });
    expect(r.check(T0 + 86_400_000)).toEqual([]);
    expect(r.view(T0).map((d) => d.id)).toEqual(["T1"]);
  });

  it("keeps a device's rejects for an hour, by reason", () => {
    const r = roster();
    r.rejected({ topic: "linli/s/lift/L1/state", reason: "schema", detail: "door: bad", receivedAt: T0 });
    r.rejected({ topic: "linli/s/lift/L1/state", reason: "malformed_json", detail: "x", receivedAt: T0 + 1_800_000 });
    r.rejected({ topic: "linli/s/nope/L1/state", reason: "unknown_kind", detail: "", receivedAt: T0 });
    expect(view(r, "L1", T0 + 1_800_000)?.rejects).toMatchObject({ total: 2, byReason: { schema: 1, malformed_json: 1 } });
    expect(view(r, "L1", T0 + 3_600_001)?.rejects).toMatchObject({ total: 1, byReason: { malformed_json: 1 } });
    // heard only in refused messages: known, not online
    expect(view(r, "L1", T0)?.state).toBe("unknown");
  });

  it("counts a gate's passes from midnight in the site's time zone", () => {
    const r = roster();
    r.heard(event("gate", "G1", "event", pass(1, true), T0));
    r.heard(event("gate", "G1", "event", pass(2, false), T0 + 1_000));
    expect(view(r, "G1", T0 + 2_000)?.values.passes).toMatchObject({ count: 2, refused: 1 });
    // 00:00 in Shanghai: yesterday's passes are not today's
    expect(view(r, "G1", T0 + 61_000)?.values.passes).toBeUndefined();
    r.heard(event("gate", "G1", "event", pass(3, true), T0 + 62_000));
    expect(view(r, "G1", T0 + 63_000)?.values.passes).toMatchObject({ count: 1, refused: 0 });
  });

  it("expects a listed device from the moment it is listed, and forgets one delisted before it spoke", () => {
    const r = roster({ lift: 1_000 });
    r.list([{ kind: "lift", id: "L1", disabled: false }, { kind: "lift", id: "L2", disabled: false }], T0 + 5_000);
    r.heard(event("lift", "L2", "frame", {}, T0 + 5_000));
    expect(r.check(T0 + 6_000)).toEqual([]);
    expect(r.check(T0 + 6_001)).toEqual([
      { kind: "lift", id: "L1", state: "offline" },
      { kind: "lift", id: "L2", state: "offline" },
    ]);
    r.list([], T0 + 7_000);
    expect(r.view(T0 + 7_000).map((d) => [d.id, d.listed])).toEqual([["L2", false]]);
  });

  it("shows a device heard before a restart with its old last-seen time, and gives it its limit from the start", () => {
    const r = roster({ lift: 1_000 });
    r.restore("lift", "L1", T0 - 86_400_000);
    r.restore("boiler", "B1", T0 - 1_000);
    expect(r.view(T0).map((d) => [d.id, d.state, d.lastSeenAt])).toEqual([["L1", "unknown", T0 - 86_400_000]]);
    // the gateway's downtime is not the device's silence: a live lift has its limit to speak
    expect(r.check(T0 + 1_000)).toEqual([]);
    expect(r.check(T0 + 1_001)).toEqual([{ kind: "lift", id: "L1", state: "offline" }]);
    expect(r.lastSeen()).toEqual([{ kind: "lift", id: "L1", lastSeenAt: T0 - 86_400_000 }]);
  });
});

describe("Grafana board link", () => {
  it("opens the kind's board for the site, under a Grafana served from a sub-path too", () => {
    const boards = { lift: "linli-lifts" };
    expect(boardLink({ grafanaUrl: "http://10.0.0.5:3000", boards }, "demo", "lift")).toBe("http://10.0.0.5:3000/d/linli-lifts?var-site=demo");
    expect(boardLink({ grafanaUrl: "https://office.example/grafana/", boards }, "demo", "lift")).toBe("https://office.example/grafana/d/linli-lifts?var-site=demo");
    expect(boardLink({ grafanaUrl: "http://10.0.0.5:3000", boards }, "demo", "gate")).toBeUndefined();
    expect(boardLink({ boards }, "demo", "lift")).toBeUndefined();
  });
});
