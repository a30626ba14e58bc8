import { z } from "zod";
import { defineMeasurement } from "../gateway/influx/point.ts";
import { arrives, dailyActivity, devicePoint, envelope, id, pick, round } from "./common.ts";
import { deviceHeartbeat, heartbeatChannel, heartbeatTimer } from "./heartbeat.ts";
import { defineKind, jsonChannel, type SimMessage } from "./types.ts";

const common = {
  ...envelope,
  eventId: id,
  direction: z.enum(["in", "out"]),
  granted: z.boolean(),
  confidence: z.number().min(0).max(1),
  /** the evidence id of the picture taken with this pass (EVIDENCE_ID in gateway/evidence/store.ts), when the device sent one */
  snapshot: z.string().regex(/^ev-[0-9a-f]{20}$/, "an evidence id ev-<20 hex digits>").optional(),
};

export const gateEventSchema = z.discriminatedUnion("method", [
  z.strictObject({
    ...common,
    method: z.literal("plate"),
    plate: z.string().min(2).max(16),
    plateColor: z.enum(["blue", "yellow", "green", "white", "black"]).optional(),
  }),
  z.strictObject({ ...common, method: z.enum(["face", "card", "qr"]), personId: z.string().min(1).max(64) }),
]);
export type GateEvent = z.infer<typeof gateEventSchema>;

export const gatePass = defineMeasurement({
  name: "gate_pass",
  description: "One recognition at a gate. Plates and person ids are hashed or masked (privacy.ids).",
  tags: ["site", "gate", "method", "direction", "granted"],
  fields: { event_id: "string", subject: "string", plate_color: "string", confidence: "float", count: "integer" },
  identity: "event_id",
});

const PROVINCES = ["沪", "沪", "沪", "苏", "浙", "皖"];
const LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ";

function simulatedGate(index: number, random: () => number) {
  const vehicle = index % 2 === 0;
  const deviceId = `${vehicle ? "gate-car" : "gate-walk"}-${index + 1}`;
  const residents = Array.from({ length: 400 }, (_, i) =>
    vehicle
      ? `${pick(PROVINCES, random)}${pick([...LETTERS], random)}${String(10000 + Math.floor(random() * 89999))}`
      : `p-${String(i).padStart(5, "0")}`,
  );
  let seq = 0;
  const heartbeat = heartbeatTimer(deviceId);
  return {
    deviceId,
    tick(now: number): SimMessage[] {
      const out: SimMessage[] = heartbeat(now);
      if (arrives((vehicle ? 60 : 120) * dailyActivity(now), 1_000, random)) {
        const visitor = random() < 0.05;
        const base = {
          ts: now,
          eventId: `${deviceId}-${String(++seq).padStart(6, "0")}`,
          direction: random() < 0.5 ? "in" : "out",
          granted: !visitor,
          confidence: round(visitor ? 0.6 + random() * 0.3 : 0.9 + random() * 0.1, 3),
        };
        const subject = visitor ? `${pick(PROVINCES, random)}X${String(Math.floor(random() * 99999))}` : pick(residents, random);
        out.push({
          deviceId,
          channel: "event",
          payload: vehicle
            ? { ...base, method: "plate", plate: subject, plateColor: random() < 0.15 ? "green" : "blue" }
            : { ...base, method: pick(["face", "card", "qr"], random), personId: subject },
        });
      }
      return out;
    },
  };
}

export const gate = defineKind({
  kind: "gate",
  title: "Gate recogniser (licence plate, face, card, QR)",
  names: { zh: "门禁道闸", en: "Gate" },
  silentAfterMs: 180_000,
  outbound: ["cmd"],
  measurements: [gatePass, deviceHeartbeat],
  channels: {
    event: jsonChannel({
      description: "One recognition: method, direction, granted, plate or person id, confidence.",
      maxBytes: 4_096,
      schema: gateEventSchema,
      eventIdOf: (d) => d.eventId,
      points: (e, ctx) => [
        devicePoint(
          e,
          gatePass,
          "gate",
          {
            event_id: e.data.eventId,
            subject: ctx.protectId(e.data.method === "plate" ? e.data.plate : e.data.personId),
            plate_color: e.data.method === "plate" ? e.data.plateColor : undefined,
            confidence: e.data.confidence,
            count: 1,
          },
          { method: e.data.method, direction: e.data.direction, granted: String(e.data.granted) },
        ),
      ],
    }),
    status: heartbeatChannel(),
  },
  simulator: { defaultCount: 4, tickMs: 1_000, create: (index, options) => simulatedGate(index, options.random) },
});
