import { z } from "zod";
import { defineMeasurement } from "../gateway/influx/point.ts";
import { arrives, devicePoint, envelope, id, round } from "./common.ts";
import { deviceHeartbeat, heartbeatChannel, heartbeatTimer } from "./heartbeat.ts";
import { defineKind, jsonChannel, type SimMessage } from "./types.ts";

const sha256Ref = z.string().regex(/^sha256:[0-9a-f]{64}$/, "sha256:<64 hex digits>");

export const throwEventSchema = z.strictObject({
  ...envelope,
  eventId: id,
  building: z.string().min(1).max(32),
  /** the estimated floor the object came from; null when the camera cannot tell */
  floor: z.number().int().min(-5).max(200).nullable(),
  confidence: z.number().min(0).max(1),
  track: z
    .array(z.strictObject({ t: z.number().min(0).max(600_000), x: z.number().min(0).max(1), y: z.number().min(0).max(1) }))
    .max(500),
  snapshot: sha256Ref.optional(),
  snapshotUrl: z.string().max(512).optional(),
  clip: sha256Ref.optional(),
  clipUrl: z.string().max(512).optional(),
});
export type ThrowEvent = z.infer<typeof throwEventSchema>;

export const throwEvent = defineMeasurement({
  name: "throw_event",
  description: "An object seen falling past a tower facade.",
  tags: ["site", "camera", "building"],
  fields: { event_id: "string", floor: "integer", confidence: "float", fall_ms: "integer", snapshot: "string", count: "integer" },
  identity: "event_id",
});

function simulatedThrowCamera(index: number, random: () => number) {
  const deviceId = `throw-cam-${String(index + 1).padStart(2, "0")}`;
  const building = String(1 + Math.floor(index / 2));
  const heartbeat = heartbeatTimer(deviceId);
  let seq = 0;
  return {
    deviceId,
    tick(now: number): SimMessage[] {
      const out: SimMessage[] = heartbeat(now);
      // About one event per camera every two days: the whole compound sees a few a week.
      if (arrives(1 / 48, 1_000, random)) {
        const floor = 3 + Math.floor(random() * 28);
        const x = round(0.2 + random() * 0.6, 3);
        const y0 = round(1 - floor / 33, 3);
        const fallMs = Math.round(Math.sqrt((2 * floor * 3) / 9.81) * 1000);
        const digest = Array.from({ length: 64 }, () => "0123456789abcdef"[Math.floor(random() * 16)]).join("");
        out.push({
          deviceId,
          channel: "event",
          payload: {
            ts: now,
            eventId: `${deviceId}-${++seq}`,
            building,
            floor: random() < 0.1 ? null : floor,
            confidence: round(0.7 + random() * 0.3, 3),
            track: [
              { t: 0, x, y: y0 },
              { t: Math.round(fallMs / 2), x, y: round(y0 + (0.98 - y0) / 4, 3) },
              { t: fallMs, x, y: 0.98 },
            ],
            snapshot: `sha256:${digest}`,
          },
        });
      }
      return out;
    },
  };
}

export const throwCamera = defineKind({
  kind: "throw",
  title: "High-altitude-throw camera (watches a tower facade)",
  names: { zh: "高空抛物摄像机", en: "Throw camera" },
  silentAfterMs: 180_000,
  outbound: ["cmd"],
  measurements: [throwEvent, deviceHeartbeat],
  channels: {
    event: jsonChannel({
      description: "An object thrown from a window: building, estimated floor, track, snapshot and clip references.",
      maxBytes: 32_768,
      schema: throwEventSchema,
      eventIdOf: (d) => d.eventId,
      points: (e) => {
        const last = e.data.track.at(-1);
        return [
          devicePoint(
            e,
            throwEvent,
            "camera",
            {
              event_id: e.data.eventId,
              floor: e.data.floor ?? undefined,
              confidence: e.data.confidence,
              fall_ms: last ? Math.round(last.t) : undefined,
              snapshot: e.data.snapshot,
              count: 1,
            },
            { building: e.data.building },
          ),
        ];
      },
    }),
    status: heartbeatChannel(),
  },
  simulator: { defaultCount: 40, tickMs: 1_000, create: (index, options) => simulatedThrowCamera(index, options.random) },
});
