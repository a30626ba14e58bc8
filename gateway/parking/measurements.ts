import { defineMeasurement, type Measurement } from "../influx/point.ts";

export const parkingOccupancy = defineMeasurement({
  name: "parking_occupancy",
  description: "Cars in a car park after each change: a counted entry or exit at its gates (change=entry|exit), or a count by staff (change=correction).",
  tags: ["site", "car_park", "change"],
  fields: { cars: "integer", capacity: "integer", free: "integer" },
});

export const parkingMeasurements: readonly Measurement[] = [parkingOccupancy];
