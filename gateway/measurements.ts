import { deviceMeasurements } from "../devices/index.ts";
import { alertMeasurements } from "./alerts/measurements.ts";
import { detectorMeasurements } from "./detector/measurements.ts";
import { gatewayMeasurement, gatewayRejectedMeasurement } from "./health.ts";
import type { Measurement } from "./influx/point.ts";
import { liftMeasurements } from "./lift/records.ts";

/** Every measurement linli writes: the writer checks points against it; docs/schema.md lists it. */
export const allMeasurements: readonly Measurement[] = [
  ...new Map([...deviceMeasurements, gatewayMeasurement, gatewayRejectedMeasurement, ...detectorMeasurements, ...liftMeasurements, ...alertMeasurements].map((m) => [m.name, m])).values(),
];
