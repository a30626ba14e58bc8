import { z } from "zod";
import { defineMeasurement } from "../gateway/influx/point.ts";
import { arrives, dailyActivity, devicePoint, envelope, epochMs, pick } from "./common.ts";
import { defineKind, jsonChannel, binaryChannel, type Decoded, type MessageMeta, type SimMessage } from "./types.ts";

export const liftStateSchema = z.strictObject({
  ...envelope,
  floor: z.number().int().min(-10).max(200),
  door: z.enum(["open", "opening", "closing", "closed"]),
  moving: z.boolean(),
  direction: z.enum(["up", "down", "none"]),
  mode: z.enum(["normal", "fire", "inspection", "out_of_service"]),
  loadPct: z.number().min(0).max(150).optional(),
});
export type LiftState = z.infer<typeof liftStateSchema>;

export interface LiftFrame {
  image: Buffer;
  format: "jpeg" | "png";
  /** the camera's frame counter, when it sends one (MQTT 5 user property `seq`) */
  seq?: number;
  /** the camera's capture time, when it sends one (MQTT 5 user property `ts`) */
  ts?: number;
}

export const liftState = defineMeasurement({
  name: "lift_state",
  description: "A lift car's reported state, one point per state message.",
  tags: ["site", "lift"],
  fields: { floor: "integer", door: "string", door_open: "integer", moving: "boolean", direction: "string", mode: "string", load_pct: "float" },
});

function firstProperty(meta: MessageMeta, name: string): string | undefined {
  const value = meta.userProperties?.[name];
  return Array.isArray(value) ? value[0] : value;
}

function optionalInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

export function decodeFrame(payload: Buffer, meta: MessageMeta): Decoded<LiftFrame> {
  let format: LiftFrame["format"];
  if (payload.length >= 3 && payload[0] === 0xff && payload[1] === 0xd8 && payload[2] === 0xff) format = "jpeg";
  else if (payload.length >= 8 && payload.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) format = "png";
  else return { ok: false, reason: "bad_image", detail: payload.length === 0 ? "empty frame" : "frame is neither JPEG nor PNG" };
  const ts = optionalInt(firstProperty(meta, "ts"));
  const seq = optionalInt(firstProperty(meta, "seq"));
  return {
    ok: true,
    data: { image: payload, format, ...(seq === undefined ? {} : { seq }), ...(ts === undefined || !epochMs.safeParse(ts).success ? {} : { ts }) },
  };
}

const FLOORS = 33;
const DOOR_DWELL_MS = 4_000;
const MS_PER_FLOOR = 2_000;

const FRAME_MS = 1_000;
/** An e-bike is wheeled in about twice an hour per lift, and stays in view for ~20 s. */
const EBIKES_PER_HOUR = 2;
const EBIKE_VISIT_MS = 20_000;

/**
 * A car that answers random calls: doors dwell ~4 s, travel ~2 s a floor, more calls at rush hour.
 * Its camera sends a frame a second, and now and then a stretch of e-bike frames.
 */
function simulatedLift(index: number, random: () => number, images: readonly Buffer[] | undefined, ebikeImages: readonly Buffer[] | undefined) {
  const deviceId = `lift-${String(index + 1).padStart(2, "0")}`;
  let floor = 1 + Math.floor(random() * FLOORS);
  let target = floor;
  let phase: "idle" | "open" | "travel" = "idle";
  let phaseUntil = 0;
  let lastStateAt = 0;
  let load = 0;
  let frameDueAt = 0;
  let ebikeUntil = 0;

  const state = (now: number): SimMessage => {
    lastStateAt = now;
    return {
      deviceId,
      channel: "state",
      payload: {
        ts: now,
        floor,
        door: phase === "open" ? "open" : "closed",
        moving: phase === "travel",
        direction: phase === "travel" ? (target > floor ? "up" : "down") : "none",
        mode: "normal",
        loadPct: load,
      },
    };
  };

  return {
    deviceId,
    tick(now: number): SimMessage[] {
      const out: SimMessage[] = [];
      if (phase === "idle" && arrives(40 * dailyActivity(now), 1_000, random)) {
        phase = "open";
        phaseUntil = now + DOOR_DWELL_MS;
        load = Math.round(random() * 60);
        out.push(state(now));
      } else if (phase === "open" && now >= phaseUntil) {
        target = 1 + Math.floor(random() * FLOORS);
        if (target === floor) {
          phase = "idle";
        } else {
          phase = "travel";
          phaseUntil = now + Math.abs(target - floor) * MS_PER_FLOOR;
        }
        out.push(state(now));
      } else if (phase === "travel" && now >= phaseUntil) {
        floor = target;
        phase = "open";
        phaseUntil = now + DOOR_DWELL_MS;
        out.push(state(now));
      } else if (now - lastStateAt >= 10_000) {
        out.push(state(now));
      }
      if (images && images.length > 0 && now >= frameDueAt) {
        frameDueAt = now + FRAME_MS;
        if (ebikeImages && ebikeImages.length > 0 && now >= ebikeUntil && arrives(EBIKES_PER_HOUR, FRAME_MS, random)) ebikeUntil = now + EBIKE_VISIT_MS;
        const frames = now < ebikeUntil && ebikeImages && ebikeImages.length > 0 ? ebikeImages : images;
        out.push({ deviceId, channel: "frame", payload: pick(frames, random) });
      }
      return out;
    },
  };
}

export const lift = defineKind({
  kind: "lift",
  title: "Lift camera and car state",
  names: { zh: "电梯", en: "Lift" },
  silentAfterMs: 60_000,
  outbound: ["cmd"],
  measurements: [liftState],
  channels: {
    state: jsonChannel({
      description: "Car state: floor, door, moving, direction, mode, load.",
      maxBytes: 2_048,
      schema: liftStateSchema,
      points: (e) => [
        devicePoint(e, liftState, "lift", {
          floor: e.data.floor,
          door: e.data.door,
          door_open: e.data.door === "open" || e.data.door === "opening" ? 1 : 0,
          moving: e.data.moving,
          direction: e.data.direction,
          mode: e.data.mode,
          load_pct: e.data.loadPct,
        }),
      ],
    }),
    frame: binaryChannel({
      description: "A camera frame from inside the car: JPEG or PNG bytes; MQTT 5 user properties ts, seq.",
      maxBytes: 5 * 1024 * 1024,
      decode: decodeFrame,
      tsOf: (d) => d.ts,
      // Frames become lift_frame points once the detector has looked at them.
      points: () => [],
    }),
  },
  simulator: {
    defaultCount: 30,
    tickMs: 1_000,
    create: (index, options) => simulatedLift(index, options.random, options.images, options.ebikeImages),
  },
});
