import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { PushConfig } from "./config.ts";

/**
 * Hikvision ISAPI "HTTP listening" alarm pushes: an `EventNotificationAlert` (XML, or JSON on
 * newer firmware), alone or as the first part of a multipart/form-data body whose other parts are
 * JPEG pictures (`licensePlatePicture.jpg`, `detectionPicture.jpg`). This module only maps; the
 * HTTP side is gateway/push/ingest.ts.
 */
export type Alert = Record<string, unknown>;

export class MalformedAlert extends Error {}

const xml = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: true });

/** Parses an XML or JSON EventNotificationAlert; throws MalformedAlert. */
export function parseAlert(body: Buffer): Alert {
  const text = body.toString("utf8").replace(/^\uFEFF/, "").trim();
  let root: unknown;
  if (text.startsWith("{")) {
    try {
      root = JSON.parse(text);
    } catch (err) {
      throw new MalformedAlert(`JSON: ${(err as Error).message}`);
    }
  } else if (text.startsWith("<")) {
    const valid = XMLValidator.validate(text);
    if (valid !== true) throw new MalformedAlert(`XML line ${valid.err.line}: ${valid.err.msg}`);
    root = xml.parse(text);
  } else throw new MalformedAlert("neither XML nor JSON");
  const alert = (root as { EventNotificationAlert?: unknown }).EventNotificationAlert ?? root;
  if (!alert || typeof alert !== "object" || Array.isArray(alert)) throw new MalformedAlert("no EventNotificationAlert");
  if (typeof (alert as Alert).eventType !== "string") throw new MalformedAlert("EventNotificationAlert without eventType");
  return alert as Alert;
}

function at(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split(".")) {
    if (Array.isArray(v)) v = v[0];
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return Array.isArray(v) ? v[0] : v;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : undefined);

const PLATE_COLORS = new Set(["blue", "yellow", "green", "white", "black"]);

/** What a field of linli's gate `event` is made from, for one ANPR alert (docs/devices.md shows this table). */
export interface FieldRule {
  linli: string;
  vendor: string;
  value(alert: Alert, ctx: MapContext): unknown;
}

export interface MapContext {
  deviceId: string;
  config: PushConfig["hikvision"];
}

/** The declarative part: gate `event` field <- ISAPI field. An `undefined` value leaves the field out. */
export const anprRules: readonly FieldRule[] = [
  { linli: "method", vendor: "eventType = ANPR", value: () => "plate" },
  { linli: "plate", vendor: "ANPR.licensePlate", value: (a) => str(at(a, "ANPR.licensePlate")) },
  { linli: "plateColor", vendor: "ANPR.plateColor (blue, yellow, green, white, black; others left out)", value: (a) => { const c = str(at(a, "ANPR.plateColor"))?.toLowerCase(); return c && PLATE_COLORS.has(c) ? c : undefined; } },
  { linli: "direction", vendor: "ANPR.direction via push.hikvision.direction (forward → in, reverse → out)", value: (a, ctx) => { const d = str(at(a, "ANPR.direction")); return d === undefined ? undefined : ctx.config.direction[d]; } },
  { linli: "granted", vendor: "ANPR.vehicleListName in push.hikvision.grantedLists", value: (a, ctx) => ctx.config.grantedLists.includes(str(at(a, "ANPR.vehicleListName")) ?? "") },
  { linli: "confidence", vendor: "ANPR.confidenceLevel (0–100) / 100", value: (a) => { const c = Number(str(at(a, "ANPR.confidenceLevel"))); return Number.isFinite(c) ? Math.min(1, Math.max(0, c / 100)) : undefined; } },
  { linli: "ts", vendor: "dateTime (ISO 8601 with offset)", value: (a) => { const t = Date.parse(str(at(a, "dateTime")) ?? ""); return Number.isFinite(t) ? t : undefined; } },
  { linli: "eventId", vendor: "UUID, else <deviceId>-<dateTime>-<licensePlate>", value: (a, ctx) => str(at(a, "UUID")) ?? `${ctx.deviceId}-${str(at(a, "dateTime")) ?? "?"}-${str(at(a, "ANPR.licensePlate")) ?? "?"}`.slice(0, 128) },
];

export type Mapped =
  | { kind: "gate-event"; payload: Record<string, unknown>; pictures: readonly string[] }
  /** heartbeats (`videoloss` inactive, `heartBeat`) and event types linli does not take: answered 200 */
  | { kind: "ignored"; eventType: string };

/** The canonical gate `event` payload of an ANPR alert (the ingest pipeline checks it against the schema). */
export function mapAlert(alert: Alert, ctx: MapContext): Mapped {
  const eventType = String(alert.eventType);
  if (eventType.toUpperCase() !== "ANPR") return { kind: "ignored", eventType };
  const payload: Record<string, unknown> = {};
  for (const rule of anprRules) {
    const v = rule.value(alert, ctx);
    if (v !== undefined) payload[rule.linli] = v;
  }
  const listed = at(alert, "ANPR.pictureInfoList");
  const info = listed && typeof listed === "object" ? (listed as Record<string, unknown>).pictureInfo : undefined;
  const pictures = (Array.isArray(info) ? info : info === undefined ? [] : [info]).map((p) => str(at(p, "fileName"))).filter((n): n is string => n !== undefined);
  return { kind: "gate-event", payload, pictures };
}
