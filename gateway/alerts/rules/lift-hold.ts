import { z } from "zod";
import type { GatewayEvents } from "../../events.ts";
import type { EvidenceRef, Place } from "../types.ts";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ holdId: z.string(), peakScore: z.number() });

export const holdKey = (lift: string) => `lift_hold:${lift}`;

export function holdPlace(h: GatewayEvents["lift.hold"]): Place {
  return { site: h.site, kind: "lift", device: h.lift };
}

/** The hold's best frame, already in the evidence store (the lift guard kept it there). */
export function holdFrame(h: GatewayEvents["lift.hold"]): EvidenceRef[] {
  return h.evidence ? [{ role: "frame", sha256: h.evidence.sha256 }] : [];
}

/** An e-bike held in a lift: open while the hold lasts, resolved when it ends. */
export const liftHoldAlert = defineAlertType({
  names: { lift_hold: { zh: "电动车进电梯（阻梯中）", en: "E-bike in lift (holding)" } },
  details,
  text: (d, _type, lang) =>
    lang === "zh" ? `识别到电动车（置信度 ${d.peakScore.toFixed(2)}），电梯门保持打开` : `e-bike seen (score ${d.peakScore.toFixed(2)}), doors held open`,
  onHold(h, cfg) {
    if (h.phase === "end") return [{ resolve: holdKey(h.lift), note: `hold ended: ${h.endReason ?? "?"}${h.detail ? ` (${h.detail})` : ""}` }];
    if (!cfg.rules.liftHold) return [];
    return [
      raise({
        type: "lift_hold",
        dedupKey: holdKey(h.lift),
        severity: cfg.severity.liftHold,
        place: holdPlace(h),
        summary: `e-bike, peak score ${h.peakScore.toFixed(2)}`,
        details: { holdId: h.holdId, peakScore: h.peakScore } satisfies z.infer<typeof details>,
        evidence: holdFrame(h),
        ts: h.ts,
      }),
    ];
  },
});
