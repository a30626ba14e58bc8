import { z } from "zod";
import { holdFrame, holdPlace } from "./lift-hold.ts";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ holdId: z.string(), durationMs: z.number().nullable(), peakScore: z.number() });

/** A hold released at the maximum hold time: the e-bike may still be in the car, someone must go and see. */
export const liftHoldTimeoutAlert = defineAlertType({
  names: { lift_hold_timeout: { zh: "阻梯超时", en: "Lift hold timed out" } },
  details,
  text(d, _type, lang) {
    if (d.durationMs === null) return undefined;
    const s = Math.round(d.durationMs / 1000);
    return lang === "zh" ? `已阻梯 ${s} 秒，达到最长阻梯时间已释放，请到现场处理` : `held ${s} s, released at the maximum hold time: please go and see`;
  },
  onHold(h, cfg) {
    if (h.phase !== "end" || h.endReason !== "max_hold" || !cfg.rules.liftHoldTimeout) return [];
    return [
      raise({
        type: "lift_hold_timeout",
        dedupKey: `lift_hold_timeout:${h.lift}`,
        severity: cfg.severity.liftHoldTimeout,
        place: holdPlace(h),
        summary: `held ${Math.round((h.durationMs ?? 0) / 1000)} s, released at the maximum hold time`,
        details: { holdId: h.holdId, durationMs: h.durationMs ?? null, peakScore: h.peakScore } satisfies z.infer<typeof details>,
        evidence: holdFrame(h),
        ts: h.ts,
      }),
    ];
  },
});
