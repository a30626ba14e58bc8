import { defineMeasurement } from "../influx/point.ts";

export const liftFrame = defineMeasurement({
  name: "lift_frame",
  description: "A model's verdict on one lift camera frame: timings, best e-bike score, detections, frames dropped before it. role: active (the verdict the lift guard acts on) or shadow (a candidate judging the same frame, holding nothing).",
  tags: ["site", "lift", "model", "role"],
  fields: {
    inference_ms: "float",
    total_ms: "float",
    ebike_score: "float",
    ebike: "boolean",
    detections: "integer",
    dropped: "integer",
  },
});

/** The measurements the detector writes; the gateway registers them with the InfluxDB writer. */
export const detectorMeasurements = [liftFrame] as const;
