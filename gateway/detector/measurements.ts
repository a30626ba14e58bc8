import { defineMeasurement } from "../influx/point.ts";

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
