import type { OrdersConfig } from "./config.ts";
import type { Step } from "./notify.ts";
import type { OrderStore } from "./store.ts";
import type { WorkOrder } from "./types.ts";

/**
 * Which overdue orders take their next step now: at the due time the assignee is reminded, and
 * `supervisorAfterMinutes` later the supervisor is told. Each step happens once per assignment
 * (the clock is in the order, so it survives a restart).
 */
export function dueSteps(store: OrderStore, cfg: OrdersConfig, now: number): Array<{ order: WorkOrder; step: Step }> {
  const out: Array<{ order: WorkOrder; step: Step }> = [];
  for (const order of store.overdue(now)) {
    if (order.remindedAt === undefined) out.push({ order, step: "reminded" });
    else if (order.escalatedAt === undefined && now >= order.dueAt + cfg.escalation.supervisorAfterMinutes * 60_000) out.push({ order, step: "escalated" });
  }
  return out;
}
