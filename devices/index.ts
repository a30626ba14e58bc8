import type { Measurement } from "../gateway/influx/point.ts";
import { charger } from "./charger.ts";
import { gate } from "./gate.ts";
import { lift } from "./lift.ts";
import { throwCamera } from "./throw.ts";
import type { DeviceKind } from "./types.ts";

/** Every device kind the gateway understands. A new kind is one module and one line here. */
export const deviceKinds: readonly DeviceKind[] = [lift, gate, charger, throwCamera];

export const deviceMeasurements: readonly Measurement[] = deviceKinds.flatMap((k) => k.measurements);
