import { z } from "zod";
import { defineMeasurement } from "../gateway/influx/point.ts";
import { devicePoint, envelope } from "./common.ts";
import { jsonChannel, type JsonChannel } from "./types.ts";

export const deviceHeartbeat = defineMeasurement({
  name: "device_heartbeat",
  description: "A liveness message from a device that otherwise speaks only when something happens.",
  tags: ["site", "kind", "device"],
  fields: { uptime_s: "integer" },
});

export const heartbeatSchema = z.strictObject({ ...envelope, uptimeS: z.number().int().min(0) });
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** The `status` channel of kinds whose devices are otherwise silent for long stretches. */
export function heartbeatChannel(): JsonChannel<Heartbeat> {
  return jsonChannel({
    description: "Heartbeat every minute: uptime in seconds.",
    maxBytes: 1_024,
    schema: heartbeatSchema,
    points: (e) => [devicePoint(e, deviceHeartbeat, "device", { uptime_s: e.data.uptimeS }, { kind: e.kind })],
  });
}

/** Emits a heartbeat once a minute from a simulated device. */
export function heartbeatTimer(deviceId: string) {
  let bootedAt: number | undefined;
  let lastAt = -Infinity;
  return (now: number) => {
    bootedAt ??= now;
    if (now - lastAt < 60_000) return [];
    lastAt = now;
    return [{ deviceId, channel: "status", payload: { ts: now, uptimeS: Math.round((now - bootedAt) / 1000) } }];
  };
}
