import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ carPark: z.string(), plate: z.string(), label: z.string(), granted: z.boolean(), eventId: z.string(), snapshot: z.string().optional() });

/**
 * A car on the parking deny list read at a car park's entry (gateway/parking). One alert per plate
 * and car park while it is open, so a car trying the barrier again counts up instead of paging again.
 */
export const parkingDeniedPlateAlert = defineAlertType({
  names: { parking_denied_plate: { zh: "禁止入场车辆", en: "Denied car at the car park" } },
  details,
  text(d, _type, lang) {
    const note = d.label ? (lang === "zh" ? `（${d.label}）` : ` (${d.label})`) : "";
    if (lang === "zh") return `禁止名单车辆 ${d.plate}${note} 在 ${d.carPark} 入口${d.granted ? "，道闸已放行" : "，道闸未放行"}`;
    return `car ${d.plate}${note} on the deny list at the ${d.carPark} entry${d.granted ? ", let in by the gate" : ", kept out by the gate"}`;
  },
  onParkingDeniedPlate(p, cfg) {
    if (!cfg.rules.parkingDeniedPlate) return [];
    return [
      raise({
        type: "parking_denied_plate",
        dedupKey: `parking_denied_plate:${p.carPark}:${p.plate}`,
        severity: cfg.severity.parkingDeniedPlate,
        place: { site: p.site, kind: "gate", device: p.gate },
        summary: `denied plate ${p.plate} at ${p.carPark}${p.label ? ` (${p.label})` : ""}`,
        details: { carPark: p.carPark, plate: p.plate, label: p.label, granted: p.granted, eventId: p.eventId, ...(p.snapshot ? { snapshot: p.snapshot } : {}) } satisfies z.infer<typeof details>,
        evidence: [],
        ts: p.ts,
      }),
    ];
  },
});
