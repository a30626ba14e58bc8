import { defineMeasurement, type Point } from "../influx/point.ts";
import type { HoldRecord } from "./events.ts";

/** Every hold start and end: one point each. end_reason is absent on a start point. */
export const liftBlock = defineMeasurement({
  name: "lift_block",
  description: "A lift held by the guard: one point when the hold starts (phase=start) and one when it ends (phase=end).",
  tags: ["site", "lift", "phase", "end_reason"],
  fields: {
    hold_id: "string",
    reason: "string",
    duration_ms: "integer",
    peak_score: "float",
    latency_ms: "integer",
    written: "boolean",
    evidence_id: "string",
    evidence_sha256: "string",
    detail: "string",
  },
});

/** Frame publish to hold acknowledged by the controller, one point per hold a frame triggered. */
export const liftHoldLatency = defineMeasurement({
  name: "lift_hold_latency",
  description: "Latency from a lift frame's publish time to the controller acknowledging the hold it caused.",
  tags: ["site", "lift", "link"],
  fields: { latency_ms: "integer" },
});

/**
 * Staff's answer, on releasing a hold, to "was there an e-bike?": kept beside the audit log so that
 * false holds by lift are counted from the same database, over any past range, as the holds.
 */
export const liftVerdict = defineMeasurement({
  name: "lift_verdict",
  description: "Staff's verdict on a lift hold when releasing it: verdict=no_ebike marks a false hold, ebike a right one.",
  tags: ["site", "lift", "verdict"],
  fields: { hold_id: "string", by: "string" },
});

export const liftMeasurements = [liftBlock, liftHoldLatency, liftVerdict] as const;

export function verdictPoint(v: { site: string; lift: string; verdict: "ebike" | "no_ebike"; holdId: string; by: string; ts: number }): Point {
  return { measurement: liftVerdict.name, tags: { site: v.site, lift: v.lift, verdict: v.verdict }, fields: { hold_id: v.holdId, by: v.by }, ts: v.ts };
}

export function holdPoint(r: HoldRecord): Point {
  return {
    measurement: liftBlock.name,
    tags: { site: r.site, lift: r.lift, phase: r.phase, end_reason: r.endReason ?? "" },
    fields: {
      hold_id: r.holdId,
      reason: r.reason,
      peak_score: r.peakScore,
      duration_ms: r.durationMs ?? 0,
      ...(r.latencyMs === undefined ? {} : { latency_ms: r.latencyMs }),
      ...(r.written === undefined ? {} : { written: r.written }),
      ...(r.evidence ? { evidence_id: r.evidence.id, evidence_sha256: r.evidence.sha256 } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
    },
    ts: r.ts,
  };
}
