import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ count: z.number().int(), windowHours: z.number() });

/** Staff called several holds of one lift false: the guard is wrong there, and gets switched off unless someone acts. */
export const liftFalseHoldsAlert = defineAlertType({
  names: { lift_false_holds: { zh: "阻梯误报偏多", en: "Too many false lift holds" } },
  details,
  text(d, _type, lang) {
    return lang === "zh"
      ? `${d.windowHours} 小时内 ${d.count} 次阻梯被值班员判为误报：请检查摄像头，或在标注页标注该梯的画面并重新训练模型`
      : `${d.count} holds in ${d.windowHours} h were called false by staff: check the camera, or label this lift's frames and retrain the model`;
  },
  onLiftAlert(a, cfg) {
    if (a.kind !== "false_holds" || !a.falseHolds || !cfg.rules.liftFalseHolds) return [];
    return [
      raise({
        type: "lift_false_holds",
        dedupKey: `lift_false_holds:${a.lift}`,
        severity: cfg.severity.liftFalseHolds,
        place: { site: a.site, kind: "lift", device: a.lift },
        summary: a.message,
        details: a.falseHolds satisfies z.infer<typeof details>,
        evidence: [],
        ts: a.ts,
      }),
    ];
  },
});
