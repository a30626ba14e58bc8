// The worked example of docs/architecture.md: a new feature. In the project it would be the folder
// gateway/flood/ plus one line in gateway/features.ts; test/architecture-example.test.ts runs it.
import { z } from "zod";
import type { DeviceEvent } from "../../devices/types.ts";
import type { Core } from "../../gateway/core.ts";
import { defineFeature, type Feature } from "../../gateway/feature.ts";
import { defineMeasurement, pointOf } from "../../gateway/influx/point.ts";

/** The feature's section of linli.yaml: `flood: { thresholdCm: 20 }`. */
export const floodConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** water deeper than this in a pump room floods the garage lifts' pits */
  thresholdCm: z.number().positive().default(20),
});

export const floodAlarm = defineMeasurement({
  name: "flood_alarm",
  description: "Water over the threshold at a basement sensor.",
  tags: ["site", "sensor"],
  fields: { depth_cm: "float" },
});

class FloodWatch implements Feature {
  readonly name = "flood";

  constructor(
    private readonly core: Core,
    private readonly cfg: z.output<typeof floodConfigSchema>,
  ) {}

  async start(): Promise<void> {
    // no need to keep the off function: the core removes a feature's listeners when it stops
    this.core.bus.on("device.event", (e) => {
      if (e.kind !== "water" || e.channel !== "level") return;
      const { depthCm } = (e as DeviceEvent<{ depthCm: number }>).data;
      if (depthCm > this.cfg.thresholdCm) {
        this.core.writePoint(pointOf(floodAlarm, { tags: { site: e.site, sensor: e.deviceId }, fields: { depth_cm: depthCm }, ts: e.ts }));
      }
    });
  }

  async stop(): Promise<void> {}
}

export const floodFeature = defineFeature({
  key: "flood",
  description: "water in the basements (gateway/flood)",
  config: floodConfigSchema,
  measurements: [floodAlarm],
  create: (core, config) => new FloodWatch(core, config),
});
