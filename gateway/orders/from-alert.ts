import { typeNames as alertTypeNames } from "../alerts/rules/index.ts";
import type { Alert } from "../alerts/types.ts";
import type { Lang } from "../i18n.ts";
import type { OrdersConfig } from "./config.ts";
import type { NewOrder } from "./workflow.ts";

/** The work order an alert becomes: a throw is an incident to follow up, a device problem a repair. */
export function orderFromAlert(a: Alert, lang: Lang): NewOrder {
  return {
    type: a.type === "throw" ? "incident" : "repair",
    place: a.place,
    description: `${alertTypeNames[a.type][lang]}: ${a.summary}`,
    alertId: a.id,
    evidence: a.evidence,
  };
}

/** Whether an alert opens a work order by itself (`orders.autoCreate`). */
export function createsOrderByRule(a: Alert, cfg: OrdersConfig): boolean {
  const auto = cfg.autoCreate;
  if (a.type.startsWith("charger_") && a.type !== "charger_command_failed") return auto.chargerAlarms;
  if (a.type === "lift_fault") return auto.liftFault;
  if (a.type === "device_silent") return auto.deviceSilent;
  if (a.type === "throw") return auto.throw;
  return false;
}
