import { deviceMeasurements } from "../devices/index.ts";
import { features } from "./features.ts";
import { gatewayMeasurement, gatewayRejectedMeasurement } from "./health.ts";
import type { Measurement } from "./influx/point.ts";

/** Every measurement linli writes: the writer checks points against it; docs/schema.md lists it. */
export const allMeasurements: readonly Measurement[] = [
  ...new Map([...deviceMeasurements, gatewayMeasurement, gatewayRejectedMeasurement, ...features.flatMap((f) => f.measurements)].map((m) => [m.name, m])).values(),
];
