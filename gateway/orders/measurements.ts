import type { Measurement } from "../influx/point.ts";
import { defineMeasurement } from "../influx/point.ts";
import type { OrderChange } from "./types.ts";

export const workOrderMeasurement = defineMeasurement({
  name: "work_order",
  description:
    "One point per work order record (event created/assigned/accepted/started/photo/done/signed_off/closed/reminded/escalated): its type, state and place, and once known the time to accept and to finish (done) since it opened, and whether it ran past its due time.",
  tags: ["site", "type", "event", "state", "building", "device"],
  fields: { order_id: "string", accept_ms: "integer", finish_ms: "integer", overdue: "integer", by: "string" },
});

/** Every measurement the work orders feature writes. */
export const workOrderMeasurements: readonly Measurement[] = [workOrderMeasurement];

export function workOrderPoint({ order: o, record }: OrderChange) {
  return {
    measurement: workOrderMeasurement.name,
    tags: { site: o.place.site, type: o.type, event: record.event, state: o.state, building: o.place.building ?? "", device: o.place.device },
    fields: {
      order_id: o.id,
      ...(o.acceptedAt === undefined ? {} : { accept_ms: o.acceptedAt - o.createdAt }),
      ...(o.doneAt === undefined ? {} : { finish_ms: o.doneAt - o.createdAt }),
      overdue: (o.doneAt ?? record.at) > o.dueAt ? 1 : 0,
      by: record.by,
    },
    ts: record.at,
  };
}
