import { z } from "zod";
import { id } from "../../devices/common.ts";

/** A gate's lane into or out of a car park: "both" takes the direction the recogniser reports. */
const laneSchema = z.enum(["in", "out", "both"]);

const carParkSchema = z.strictObject({
  id,
  /** the name staff use: "地下车库", "东门地面" */
  name: z.string().min(1).max(64),
  capacity: z.number().int().min(1).max(100_000),
  /** gate device id -> which way its plate passes count */
  gates: z.record(z.string(), laneSchema),
});

export const parkingConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    carParks: z.array(carParkSchema).default([]),
    /** a visitor or unlisted car inside longer than this is overstaying (a visitor pass that expires earlier ends it earlier) */
    visitorMaxStayHours: z.number().positive().default(4),
    /** a non-resident car seen entering and not leaving for this long is listed as never left (a missed exit read, or an abandoned car) */
    neverLeftAfterHours: z.number().positive().default(72),
    /** how long a visitor pass lasts when the administrator gives no expiry */
    visitorPassHours: z.number().positive().default(24),
  })
  .superRefine((cfg, ctx) => {
    // one gate counted for two car parks would count every car twice
    const seen = new Map<string, string>();
    cfg.carParks.forEach((p, i) => {
      for (const gate of Object.keys(p.gates)) {
        const other = seen.get(gate);
        if (other) ctx.addIssue({ code: "custom", path: ["carParks", i, "gates", gate], message: `gate ${gate} already belongs to car park ${other}` });
        seen.set(gate, p.id);
      }
    });
    if (new Set(cfg.carParks.map((p) => p.id)).size < cfg.carParks.length) ctx.addIssue({ code: "custom", path: ["carParks"], message: "car park ids must be unique" });
  });

export type ParkingConfig = z.infer<typeof parkingConfigSchema>;
export type CarPark = ParkingConfig["carParks"][number];
