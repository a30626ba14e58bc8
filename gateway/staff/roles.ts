/**
 * The console's roles, least to most trusted. An account without a role in the config is a guard:
 * the role the console had before there were others, and the one that can do least with work orders.
 */
export const STAFF_ROLES = ["guard", "technician", "supervisor", "administrator"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** What a role may do; every page and API asks `may` on the server, and pages show only what it allows. */
export type Permission =
  /** the guard room: alerts, holds, evidence, labelling */
  | "alerts"
  /** work orders assigned to oneself: accept, work, attach photos, sign as the worker */
  | "orders.own"
  /** every work order: create, assign, close, and sign off as the supervisor */
  | "orders.all"
  /** put an alert's evidence on legal hold and export its evidence package */
  | "legal_hold"
  /** release a legal hold: a court's hold ends on an administrator's word only */
  | "legal_hold.release"
  /** the daily and weekly reports (/reports) and their files */
  | "reports"
  /** console accounts */
  | "accounts";

const GRANTS: Record<StaffRole, readonly Permission[]> = {
  guard: ["alerts"],
  technician: ["orders.own"],
  supervisor: ["alerts", "orders.own", "orders.all", "legal_hold", "reports"],
  administrator: ["alerts", "orders.own", "orders.all", "legal_hold", "legal_hold.release", "reports", "accounts"],
};

export function may(role: StaffRole | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].includes(permission);
}

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === "string" && (STAFF_ROLES as readonly string[]).includes(value);
}

/** Where `/` sends a role that has no guard room: a technician's work is their orders. */
export function landingOf(role: StaffRole): string {
  return may(role, "alerts") ? "/" : "/orders";
}
