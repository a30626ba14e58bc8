import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ kind: z.enum(["fault", "hold_write_failed", "clock_skew"]), holdId: z.string().optional() });

/** The lift guard cannot judge or hold a lift (frames stopped, inference failed, a hold not written), or its controller's clock is off; cleared closes it. */
export const liftFaultAlert = defineAlertType({
  names: { lift_fault: { zh: "阻梯系统故障", en: "Lift guard fault" } },
  details,
  // the guard's own message names the cause better than any template
  text: () => undefined,
  onLiftAlert(a, cfg) {
    // a skewed controller clock is its own alert, so clocks agreeing again never close a guard fault
    const key = a.kind === "clock_skew" || a.kind === "clock_agreed" ? `lift_clock:${a.lift}` : `lift_fault:${a.lift}`;
    if (a.kind === "fault_cleared" || a.kind === "clock_agreed") return [{ resolve: key, note: a.message }];
    // max_hold comes with the hold's end record; staff actions are an audit, not an alert
    if ((a.kind !== "fault" && a.kind !== "hold_write_failed" && a.kind !== "clock_skew") || !cfg.rules.liftFault) return [];
    return [
      raise({
        type: "lift_fault",
        dedupKey: key,
        severity: cfg.severity.liftFault,
        place: { site: a.site, kind: "lift", device: a.lift },
        summary: a.message,
        details: { kind: a.kind, ...(a.holdId ? { holdId: a.holdId } : {}) } satisfies z.infer<typeof details>,
        evidence: [],
        ts: a.ts,
      }),
    ];
  },
});
