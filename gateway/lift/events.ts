import type { CarState } from "./controller/link.ts";
import type { EndReason } from "./guard.ts";

/** `lift.hold`: a hold started or ended (the same record goes to InfluxDB as lift_block). */
export interface HoldRecord {
  site: string;
  lift: string;
  holdId: string;
  phase: "start" | "end";
  ts: number;
  startedAt: number;
  reason: "ebike";
  peakScore: number;
  /** end only */
  endReason?: EndReason;
  durationMs?: number;
  detail?: string;
  /** frame publish to lease acknowledged by the controller (start only, when a frame triggered it) */
  latencyMs?: number;
  /** whether the controller acknowledged the first lease write (start only) */
  written?: boolean;
  /** the best frame, in the core evidence store */
  evidence?: { id: string; sha256: string };
}

/** `lift.alert`: something staff should see (the alerts feature delivers it). */
export interface LiftAlert {
  site: string;
  lift: string;
  ts: number;
  /** clock_skew / clock_agreed: the controller's clock is off, or agrees again (apart from the guard's own faults) */
  kind: "max_hold" | "fault" | "fault_cleared" | "hold_write_failed" | "staff" | "false_holds" | "clock_skew" | "clock_agreed";
  severity: "info" | "warning" | "critical";
  message: string;
  holdId?: string;
  /** false_holds only */
  falseHolds?: { count: number; windowHours: number };
}

/** `lift.staff`: an audited staff command. */
export interface StaffAudit {
  site: string;
  lift: string;
  ts: number;
  action: "release" | "disable" | "enable";
  by: string;
  via: "mqtt" | "http";
  minutes?: number;
  /** what it did: released a hold, nothing to release, ... */
  result: string;
  requestId?: string;
  /** the hold a release ended */
  holdId?: string;
  /** release only: staff's answer to "was there an e-bike?", which labels the hold's frames */
  verdict?: HoldVerdict;
}

export type HoldVerdict = "ebike" | "no_ebike";

/** `lift.car`: a car's state changed (null: unknown), from the controller link or the lift's state messages. */
export interface LiftCar {
  site: string;
  lift: string;
  ts: number;
  state: CarState | null;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "lift.hold": HoldRecord;
    "lift.alert": LiftAlert;
    "lift.staff": StaffAudit;
    "lift.car": LiftCar;
  }
}
