import type { Logger } from "pino";
import type { RaiseAlert } from "./alert.ts";
import type { LiftLink } from "./controller/link.ts";
import type { GuardAction } from "./guard.ts";
import type { HoldRecorder } from "./hold-recorder.ts";
import type { LiftMetrics } from "./metrics.ts";

export interface ActionServices {
  link: LiftLink;
  records: HoldRecorder;
  metrics: LiftMetrics;
  alert: RaiseAlert;
  log: Logger;
}

/**
 * Carries out one guard action: lease writes and announcements on the controller link, hold
 * records, alerts. A failed write is counted and logged, never thrown: the lease lapses by itself.
 */
export async function perform(s: ActionServices, liftId: string, action: GuardAction): Promise<void> {
  switch (action.type) {
    case "hold": {
      const result = await s.link.hold(liftId, action.until);
      if (action.first) s.records.firstWrite(action.hold.id, result);
      if (!result.ok) {
        s.metrics.writeFailures.inc({ lift: liftId, what: "hold" });
        s.log.warn({ lift: liftId, holdId: action.hold.id, detail: result.detail }, "lift hold write failed");
        if (action.first) s.alert(liftId, "hold_write_failed", "warning", `the controller did not accept the hold: ${result.detail ?? "unknown"}`, { holdId: action.hold.id });
      }
      return;
    }
    case "release": {
      const result = await s.link.release(liftId);
      if (!result.ok) {
        s.metrics.writeFailures.inc({ lift: liftId, what: "release" });
        s.log.warn({ lift: liftId, detail: result.detail }, "lift release write failed; the lease will lapse by itself");
      }
      return;
    }
    case "announce": {
      const result = await s.link.announce(liftId, action.text);
      if (!result.ok) s.metrics.writeFailures.inc({ lift: liftId, what: "announce" });
      return;
    }
    case "hold_started":
      return s.records.started(liftId, action.hold);
    case "hold_ended":
      return s.records.ended(liftId, action.hold, action.reason, action.endedAt, action.detail);
    case "alert": {
      // counted once, when the guard reports the fault starting, not per frame
      if (action.kind === "fault") s.metrics.faults.inc({ lift: liftId, reason: action.detail });
      const severity = action.kind === "max_hold" ? "critical" : action.kind === "fault" ? "warning" : "info";
      const message =
        action.kind === "fault"
          ? `lift guard cannot judge this lift (${action.detail}); it will not hold`
          : action.kind === "fault_cleared"
            ? `lift guard judging frames again (${action.detail})`
            : action.detail;
      s.alert(liftId, action.kind, severity, message, action.hold ? { holdId: action.hold.id } : {});
      return;
    }
  }
}
