import type { Core } from "../core.ts";
import type { LiftAlert } from "./events.ts";

export type RaiseAlert = (lift: string, kind: LiftAlert["kind"], severity: LiftAlert["severity"], message: string, about?: Pick<LiftAlert, "holdId" | "falseHolds">) => void;

/** `lift.alert` for staff (the alerts feature delivers it), and a log line, so an alert is never only on the bus. */
export function liftAlerts(core: Pick<Core, "bus" | "log" | "config">): RaiseAlert {
  return (lift, kind, severity, message, about = {}) => {
    const alert: LiftAlert = { site: core.config.site, lift, ts: Date.now(), kind, severity, message, ...about };
    (severity === "info" ? core.log.info : core.log.warn).call(core.log, { alert }, `lift alert: ${kind}`);
    core.bus.emit("lift.alert", alert);
  };
}
