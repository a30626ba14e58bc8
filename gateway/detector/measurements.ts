import { defineMeasurement } from "../influx/point.ts";

export const liftFrame = defineMeasurement({
  name: "lift_frame",
  description: "The detector's verdict on one lift camera frame: timings, best e-bike score, detections, frames dropped before it.",
  tags: ["site", "lift", "model"],
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
