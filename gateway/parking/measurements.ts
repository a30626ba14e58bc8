import { defineMeasurement, pointOf, type Measurement, type Point } from "../influx/point.ts";

export const parkingOccupancy = defineMeasurement({
  name: "parking_occupancy",
  description: "Cars in a car park after each change: a counted entry or exit at its gates (change=entry|exit), or a count by staff (change=correction).",
  tags: ["site", "car_park", "change"],
  fields: { cars: "integer", capacity: "integer", free: "integer" },
});

export const parkingMeasurements: readonly Measurement[] = [parkingOccupancy];

/** A car park's count after a change, as the parking feature writes it (and `simulate --past-day`). */
export function occupancyPoint(site: string, park: { id: string; capacity: number }, cars: number, change: "entry" | "exit" | "correction", ts: number): Point {
  return pointOf(parkingOccupancy, { tags: { site, car_park: park.id, change }, fields: { cars, capacity: park.capacity, free: Math.max(0, park.capacity - cars) }, ts });
}
