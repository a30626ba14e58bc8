import { defineMeasurement, pointOf, type Point } from "../influx/point.ts";
import type { SkipReason } from "./door-gate.ts";

export const liftFrame = defineMeasurement({
  name: "lift_frame",
  description: "A model's verdict on one lift camera frame: timings (queue wait, preprocessing, inference, whole path), best e-bike score, detections, frames dropped before it. role: active (the verdict the lift guard acts on) or shadow (a candidate judging the same frame, holding nothing).",
  tags: ["site", "lift", "model", "role"],
  fields: {
    wait_ms: "float",
    preprocess_ms: "float",
    inference_ms: "float",
    total_ms: "float",
    ebike_score: "float",
    ebike: "boolean",
    detections: "integer",
    dropped: "integer",
  },
});

export const liftFrameSkip = defineMeasurement({
  name: "lift_frame_skip",
  description: "Lift frames not judged because the car could not be held then (door-aware judging: such lifts are judged at detector.idleJudgeMs), counted per lift and reason (doors_closed, moving, not_normal) over each flush interval.",
  tags: ["site", "lift", "reason"],
  fields: { count: "integer" },
});

/** The measurements the detector writes; the gateway registers them with the InfluxDB writer. */
export const detectorMeasurements = [liftFrame, liftFrameSkip] as const;

/** One model's verdict on one frame, as `lift_frame` records it. */
export interface FrameVerdictRecord {
  site: string;
  lift: string;
  model: string;
  role: "active" | "shadow";
  /** the frame's time, not the verdict's: the point lines up with the camera's */
  ts: number;
  waitMs: number;
  preprocessMs: number;
  inferenceMs: number;
  totalMs: number;
  ebikeScore: number;
  ebike: boolean;
  detections: number;
  dropped: number;
}

/** The `lift_frame` point of a verdict: the detector's, and the simulated day's (gateway/simulate). */
export function liftFramePoint(v: FrameVerdictRecord): Point {
  return pointOf(liftFrame, {
    tags: { site: v.site, lift: v.lift, model: v.model, role: v.role },
    fields: { wait_ms: v.waitMs, preprocess_ms: v.preprocessMs, inference_ms: v.inferenceMs, total_ms: v.totalMs, ebike_score: v.ebikeScore, ebike: v.ebike, detections: v.detections, dropped: v.dropped },
    ts: v.ts,
  });
}

/** The `lift_frame_skip` point of one lift's skipped frames for one reason over a flush interval. */
export function liftFrameSkipPoint(skipped: { site: string; lift: string; reason: SkipReason; count: number; ts: number }): Point {
  return pointOf(liftFrameSkip, { tags: { site: skipped.site, lift: skipped.lift, reason: skipped.reason }, fields: { count: skipped.count }, ts: skipped.ts });
}
