import { describe, expect, it } from "vitest";
import { chargerPort } from "../devices/charger.ts";
import { devicePoint } from "../devices/common.ts";
import type { DeviceEvent } from "../devices/types.ts";
import { pointOf } from "../gateway/influx/point.ts";
import { checkPoint } from "../gateway/influx/validate.ts";

// The @ts-expect-error lines are the test: `npm test` runs tsc over test/ and fails if any of them
// compiles. Each is also refused at run time, by the check every point passes before InfluxDB.

const NOW = 1_764_300_000_000;
const declared = new Map([[chargerPort.name, chargerPort]]);
const event: DeviceEvent = { site: "demo", kind: "charger", deviceId: "charger-01", channel: "telemetry", ts: NOW, receivedAt: NOW, data: {} };

describe("typed points", () => {
  it("builds a point of a declared measurement, leaving out undefined values", () => {
    const point = pointOf(chargerPort, { tags: { site: "demo", charger: "charger-01", port: undefined }, fields: { state: "idle", charging: 0, temp_c: undefined }, ts: NOW });
    expect(point).toEqual({ measurement: "charger_port", tags: { site: "demo", charger: "charger-01" }, fields: { state: "idle", charging: 0 }, ts: NOW });
    expect(devicePoint(event, chargerPort, "charger", { power_w: 120.5 }, { port: "3" })).toEqual({
      measurement: "charger_port",
      tags: { site: "demo", charger: "charger-01", port: "3" },
      fields: { power_w: 120.5 },
      ts: NOW,
    });
  });

  it("refuses a misspelt field or tag, or a value of the wrong type, at compile time", () => {
    const refused = [
      // @ts-expect-error: charger_port has no field "temp"
      pointOf(chargerPort, { tags: { site: "demo" }, fields: { temp: 30 }, ts: NOW }),
      // @ts-expect-error: power_w is a float, not a string
      pointOf(chargerPort, { tags: { site: "demo" }, fields: { power_w: "120" }, ts: NOW }),
      // @ts-expect-error: charger_port has no tag "prot"
      pointOf(chargerPort, { tags: { site: "demo", prot: "3" }, fields: { charging: 1 }, ts: NOW }),
      // @ts-expect-error: a device point's fields are checked as well
      devicePoint(event, chargerPort, "charger", { powerW: 120 }),
      // @ts-expect-error: and its device tag must be one of the measurement's tags
      devicePoint(event, chargerPort, "device", { power_w: 120 }),
    ];
    for (const point of refused) expect(checkPoint(point, declared).ok, JSON.stringify(point)).toBe(false);
  });
});
