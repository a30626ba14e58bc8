import type { LiftConfig } from "./config.ts";
import type { LiftLink } from "./controller/link.ts";
import type { GuardSettings } from "./guard.ts";

/** One lift's guard settings: the guard-wide config with the lift's own overrides, and what the link allows. */
export function settingsFor(cfg: LiftConfig, liftId: string, link: Pick<LiftLink, "kind" | "providesState">): GuardSettings {
  const per = cfg.lifts[liftId];
  return {
    canHold: link.kind !== "none" && (per?.enabled ?? true),
    confirmN: per?.confirmN ?? cfg.confirmN,
    confirmM: per?.confirmM ?? cfg.confirmM,
    threshold: per?.threshold ?? cfg.threshold,
    leaseMs: cfg.leaseMs,
    renewMs: cfg.renewMs,
    clearReleaseMs: cfg.clearReleaseMs,
    maxHoldMs: cfg.maxHoldMs,
    frameStaleMs: cfg.frameStaleMs,
    // a link that pushes state reports its own loss (null), so its state never goes stale by age
    stateStaleMs: link.providesState ? Number.POSITIVE_INFINITY : cfg.stateStaleMs,
    announcement: cfg.announcement,
    announceRepeatMs: cfg.announceRepeatMs,
  };
}
