import { at, eventIdOf, num, str } from "./alert-fields.ts";
import type { DahuaConfig } from "./dahua-config.ts";

/**
 * Dahua events -> linli's canonical gate and throw `event` payloads (devices/gate.ts,
 * devices/throw.ts), for both ways Dahua devices report: an attach-stream event
 * (`Code=...;action=...;index=...;data={...}`) and an ITC camera's ITSAPI picture upload
 * (`{"Picture":{"Plate":...,"SnapInfo":...,"CutoutPic":...}}`). Only maps; the ingest pipeline
 * checks the result against the schema, so a field left out here is a counted schema reject.
 * docs/devices.md shows these tables.
 */
export interface DahuaEvent {
  code: string;
  action: string;
  index: number;
  data: Record<string, unknown> | undefined;
}

export interface DahuaMapContext {
  deviceId: string;
  kind: "gate" | "throw";
  building?: string | undefined;
  config: Pick<DahuaConfig, "direction" | "throwCodes">;
}

export type DahuaMapped =
  | { kind: "event"; payload: Record<string, unknown> }
  /** a code linli does not take, an event's Stop, a vehicle without a plate read: nothing to ingest */
  | { kind: "ignored"; reason: string };

const PLATE_COLORS = new Set(["blue", "yellow", "green", "white", "black"]);
const plateColor = (v: unknown) => {
  const c = str(v)?.toLowerCase();
  return c && PLATE_COLORS.has(c) ? c : undefined;
};
/** Dahua IVS coordinates run 0–8191 across the picture. */
const IVS_SCALE = 8192;

/** Epoch ms of an event: RealUTC (true UTC seconds) first, since `UTC` is the device's local time on many firmwares. */
function eventTime(d: Record<string, unknown>): number | undefined {
  const seconds = num(d.RealUTC) ?? num(d.UTC);
  if (seconds === undefined || seconds <= 0) return undefined;
  return seconds * 1000 + (num(d.UTCMS) ?? 0);
}

/** An attach-stream event's id: the same event sent again (a reconnect replays nothing, but a resend may) gives the same id. */
function streamEventId(ctx: DahuaMapContext, e: DahuaEvent, d: Record<string, unknown>, subject: string | undefined): string {
  return eventIdOf(ctx.deviceId, undefined, [e.code, String(e.index), str(d.EventID), str(d.GroupID), str(d.UTC), str(d.UTCMS), subject]);
}

function trafficJunction(e: DahuaEvent, d: Record<string, unknown>, ctx: DahuaMapContext): DahuaMapped {
  const plate = str(at(d, "TrafficCar.PlateNumber")) ?? (str(at(d, "Object.ObjectType")) === "Plate" ? str(at(d, "Object.Text")) : undefined);
  if (!plate) return { kind: "ignored", reason: "TrafficJunction without a plate read" };
  const payload = platePass(ctx, {
    plate,
    color: at(d, "TrafficCar.PlateColor"),
    way: str(d.JunctionDirection) ?? str(at(d, "TrafficCar.DrivingDirection")),
    allowed: at(d, "TrafficCar.AllowUser"),
    confidence: at(d, "Object.Confidence"),
    ts: eventTime(d),
    eventId: streamEventId(ctx, e, d, plate),
  });
  return { kind: "event", payload };
}

/** What a plate read says, wherever in a Dahua message it sits. */
interface PlateRead {
  plate: string | undefined;
  color: unknown;
  way: string | undefined;
  allowed: unknown;
  confidence: unknown;
  ts: number | undefined;
  eventId: string;
}

/** The canonical gate payload of a plate read, the same for an attach-stream event and an ITC upload. */
function platePass(ctx: Pick<DahuaMapContext, "config">, r: PlateRead): Record<string, unknown> {
  const confidence = num(r.confidence);
  return defined({
    method: "plate",
    plate: r.plate,
    plateColor: plateColor(r.color),
    direction: r.way === undefined ? undefined : ctx.config.direction[r.way],
    granted: r.allowed === true,
    // Confidence is 0–100 where sent; a 0 or none means the camera did not say: it decided
    confidence: confidence !== undefined && confidence > 0 ? Math.min(1, confidence / 100) : 1,
    ts: r.ts,
    eventId: r.eventId,
  });
}

/** AccessControl `Method`: 15 face, 1 card (Dahua HTTP API, access control events); other methods (password, fingerprint) have no canonical form. */
const ACCESS_METHODS: Readonly<Record<number, "face" | "card">> = { 1: "card", 15: "face" };

function accessControl(e: DahuaEvent, d: Record<string, unknown>, ctx: DahuaMapContext): DahuaMapped {
  const method = ACCESS_METHODS[num(d.Method) ?? -1];
  if (!method) return { kind: "ignored", reason: `AccessControl Method ${str(d.Method) ?? "?"} has no canonical form` };
  const personId = str(d.UserID) ?? str(d.CardNo);
  const type = str(d.Type);
  const payload: Record<string, unknown> = {
    method,
    personId,
    direction: type === "Exit" ? "out" : "in",
    granted: num(d.Status) === 1 || d.Status === true,
    confidence: 1,
    ts: eventTime(d),
    eventId: streamEventId(ctx, e, d, personId),
  };
  return { kind: "event", payload: defined(payload) };
}

function throwEvent(e: DahuaEvent, d: Record<string, unknown>, ctx: DahuaMapContext): DahuaMapped {
  // `at` reads an array at its first item: the centre's [x, y] is read whole
  const centre = (d.Object as { Center?: unknown } | undefined)?.Center;
  const [x, y] = Array.isArray(centre) ? centre.map(num) : [];
  const clamp = (v: number) => Math.min(1, Math.max(0, v / IVS_SCALE));
  const payload: Record<string, unknown> = {
    building: ctx.building ?? str(d.Name)?.slice(0, 32),
    floor: null,
    confidence: 1,
    track: x !== undefined && y !== undefined ? [{ t: 0, x: clamp(x), y: clamp(y) }] : [],
    ts: eventTime(d),
    eventId: streamEventId(ctx, e, d, undefined),
  };
  return { kind: "event", payload: defined(payload) };
}

/** One attach-stream event -> the canonical payload of the device's kind, or why there is none. */
export function mapDahuaEvent(e: DahuaEvent, ctx: DahuaMapContext): DahuaMapped {
  // a Stop closes what a Start opened: the event was taken at its Start
  if (e.action !== "Start" && e.action !== "Pulse") return { kind: "ignored", reason: `${e.code} ${e.action}` };
  const d = e.data ?? {};
  if (ctx.kind === "gate") {
    if (e.code === "TrafficJunction") return trafficJunction(e, d, ctx);
    if (e.code === "AccessControl") return accessControl(e, d, ctx);
  } else if (ctx.config.throwCodes.includes(e.code)) return throwEvent(e, d, ctx);
  return { kind: "ignored", reason: `${e.code} is not a ${ctx.kind} event` };
}

/** A picture of an ITSAPI upload: its name and bytes. */
export interface UploadPicture {
  name: string;
  bytes: Buffer;
}

export class MalformedUpload extends Error {}

const PICTURES = ["CutoutPic", "NormalPic", "VehiclePic"] as const;

/** `2026-12-02 10:48:13.123` (the camera's local time, read as the gateway's) -> epoch ms. */
function localTime(v: unknown): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)$/.exec(str(v) ?? "");
  if (!m) return undefined;
  const t = new Date(`${m[1]}T${m[2]}`).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/**
 * An ITC camera's ITSAPI `TollgateInfo` upload -> the gate `event` and its pictures (base64 JPEGs
 * in `Picture.CutoutPic|NormalPic|VehiclePic.Content`). Throws MalformedUpload when the body is not
 * one.
 */
export function mapTollgate(body: unknown, ctx: Omit<DahuaMapContext, "kind" | "building">): { payload: Record<string, unknown>; pictures: UploadPicture[] } {
  const picture = at(body, "Picture");
  if (!picture || typeof picture !== "object") throw new MalformedUpload("no Picture object");
  const plate = str(at(picture, "Plate.PlateNumber"));
  const time = str(at(picture, "SnapInfo.AccurateTime")) ?? str(at(picture, "SnapInfo.SnapTime"));
  const pictures: UploadPicture[] = [];
  for (const key of PICTURES) {
    const content = str(at(picture, `${key}.Content`));
    if (!content) continue;
    const bytes = Buffer.from(content.replace(/^data:image\/\w+;base64,/, ""), "base64");
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new MalformedUpload(`${key}.Content is not a base64 JPEG`);
    pictures.push({ name: `${key}.jpg`, bytes });
  }
  const payload = platePass(ctx, {
    plate,
    color: at(picture, "Plate.PlateColor"),
    way: str(at(picture, "SnapInfo.Direction")),
    allowed: at(picture, "SnapInfo.AllowUser"),
    confidence: at(picture, "Plate.Confidence"),
    ts: localTime(time),
    eventId: eventIdOf(ctx.deviceId, undefined, [plate, time, str(at(picture, "SnapInfo.DeviceID")), str(at(picture, "NormalPic.PicName"))]),
  });
  return { payload, pictures };
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
