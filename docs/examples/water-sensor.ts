// The worked example of docs/architecture.md: a new device kind. In the project it would be
// devices/water.ts plus one line in devices/index.ts; test/architecture-example.test.ts runs it.
import { z } from "zod";
import { devicePoint, envelope } from "../../devices/common.ts";
import { defineKind, jsonChannel } from "../../devices/types.ts";
import { defineMeasurement } from "../../gateway/influx/point.ts";

export const waterLevel = defineMeasurement({
  name: "water_level",
  description: "Water depth in a basement sump or pump room.",
  tags: ["site", "sensor"],
  fields: { depth_cm: "float", pump_on: "boolean" },
});

export const waterSensor = defineKind({
  kind: "water",
  title: "Basement water-level sensor",
  names: { zh: "积水传感器", en: "Water-level sensor" },
  silentAfterMs: 300_000,
  outbound: [],
  measurements: [waterLevel],
  channels: {
    level: jsonChannel({
      description: "Depth in cm, and whether the sump pump runs.",
      maxBytes: 1_024,
      schema: z.strictObject({ ...envelope, depthCm: z.number().min(0).max(500), pumpOn: z.boolean() }),
      // a misspelt field (`depth_mm`) or a string depth here is a compile error
      points: (e) => [devicePoint(e, waterLevel, "sensor", { depth_cm: e.data.depthCm, pump_on: e.data.pumpOn })],
    }),
  },
  simulator: {
    defaultCount: 2,
    tickMs: 60_000,
    create: (index, { random }) => ({
      deviceId: `water-${index + 1}`,
      tick: (now) => [{ deviceId: `water-${index + 1}`, channel: "level", payload: { ts: now, depthCm: Math.round(random() * 30), pumpOn: false } }],
    }),
  },
});
