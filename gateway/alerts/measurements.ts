import type { Measurement } from "../influx/point.ts";
import { defineMeasurement } from "../influx/point.ts";
import type { AlertChange } from "./types.ts";

export const alertMeasurement = defineMeasurement({
  name: "alert",
  description:
    "One point per alert state change (event opened/repeated/escalated/acknowledged/resolved): its type, severity and place, the count so far, and the time to acknowledge and to resolve.",
  tags: ["site", "type", "severity", "event", "kind", "device", "building"],
  fields: { alert_id: "string", count: "integer", ack_ms: "integer", resolve_ms: "integer", escalated: "integer", by: "string" },
});

/** Every measurement the alerts feature writes: the core adds these to the writer's registry. */
export const alertMeasurements: readonly Measurement[] = [alertMeasurement];

export function alertPoint(change: AlertChange) {
  const a = change.alert;
  const by = change.event === "acknowledged" ? a.acknowledgedBy : change.event === "resolved" ? a.resolvedBy : undefined;
  return {
    measurement: alertMeasurement.name,
    tags: {
      site: a.place.site,
      type: a.type,
      severity: a.severity,
      event: change.event,
      kind: a.place.kind ?? "",
      device: a.place.device,
      building: a.place.building ?? "",
    },
    fields: {
      alert_id: a.id,
      count: a.count,
      ...(a.acknowledgedAt === undefined ? {} : { ack_ms: a.acknowledgedAt - a.createdAt }),
      ...(a.resolvedAt === undefined ? {} : { resolve_ms: a.resolvedAt - a.createdAt }),
      escalated: a.escalatedAt === undefined ? 0 : 1,
      ...(by ? { by } : {}),
    },
    ts: change.at,
  };
}
