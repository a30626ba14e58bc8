import { XMLParser, XMLValidator } from "fast-xml-parser";
import { evidenceId } from "../evidence/store.ts";
import { at, eventIdOf, isoTime, num, str } from "./alert-fields.ts";
import type { PushConfig } from "./config.ts";
import { accessRules, accessVerdict } from "./hikvision-access.ts";
import { throwRules } from "./hikvision-throw.ts";

/**
 * Hikvision ISAPI "HTTP listening" alarm pushes: an `EventNotificationAlert` (XML, or JSON on
 * newer firmware), alone or as the first part of a multipart/form-data body whose other parts are
 * JPEG pictures. Which canonical event an alert becomes depends on the device kind it logs in as:
 * a gate's ANPR and AccessControllerEvent (face, card) alerts, a throw camera's detection alerts
 * (push.hikvision.throwEvents). This module parses and dispatches; the rule tables are in
 * hikvision-*.ts; the HTTP side is gateway/push/ingest.ts.
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

export interface MapContext {
  deviceId: string;
  config: PushConfig["hikvision"];
}

/** What a field of a canonical payload is made from (docs/devices.md shows these tables). */
export interface FieldRule {
  linli: string;
  vendor: string;
  value(alert: Alert, ctx: MapContext): unknown;
}

const PLATE_COLORS = new Set(["blue", "yellow", "green", "white", "black"]);

/** ANPR alert -> gate `event`. An `undefined` value leaves the field out. */
export const anprRules: readonly FieldRule[] = [
  { linli: "method", vendor: "eventType = ANPR", value: () => "plate" },
  { linli: "plate", vendor: "ANPR.licensePlate", value: (a) => str(at(a, "ANPR.licensePlate")) },
  { linli: "plateColor", vendor: "ANPR.plateColor (blue, yellow, green, white, black; others left out)", value: (a) => { const c = str(at(a, "ANPR.plateColor"))?.toLowerCase(); return c && PLATE_COLORS.has(c) ? c : undefined; } },
  { linli: "direction", vendor: "ANPR.direction via push.hikvision.direction (forward → in, reverse → out)", value: (a, ctx) => { const d = str(at(a, "ANPR.direction")); return d === undefined ? undefined : ctx.config.direction[d]; } },
  { linli: "granted", vendor: "ANPR.vehicleListName in push.hikvision.grantedLists", value: (a, ctx) => ctx.config.grantedLists.includes(str(at(a, "ANPR.vehicleListName")) ?? "") },
  { linli: "confidence", vendor: "ANPR.confidenceLevel (0–100) / 100", value: (a) => { const c = num(at(a, "ANPR.confidenceLevel")); return c === undefined ? undefined : Math.min(1, Math.max(0, c / 100)); } },
  { linli: "ts", vendor: "dateTime (ISO 8601 with offset)", value: (a) => isoTime(at(a, "dateTime")) },
  { linli: "eventId", vendor: "UUID, else <deviceId>-<digest of dateTime and licensePlate>", value: (a, ctx) => eventIdOf(ctx.deviceId, str(at(a, "UUID")), [str(at(a, "dateTime")), str(at(a, "ANPR.licensePlate"))]) },
];

/** How an accepted event names the picture kept with it. */
export interface Snapshot {
  /** the picture (part or file name) that is the event's snapshot, of those the push carried */
  pick(names: readonly string[]): string | undefined;
  /** the payload's `snapshot` value for that picture's SHA-256 */
  ref(sha256: string): string;
}

export type Mapped =
  | { kind: "event"; deviceKind: "gate" | "throw"; payload: Record<string, unknown>; snapshot: Snapshot }
  /** `eventState` inactive (what ISAPI sends as a heartbeat) or `heartBeat`: the device is alive, no event */
  | { kind: "heartbeat"; eventType: string }
  /** event types linli does not take from this kind of device: answered 200 so the device does not resend */
  | { kind: "ignored"; eventType: string };

/** Gate events carry an evidence id (devices/gate.ts); the plate crop is only kept when there is no scene picture. */
const gateSnapshot: Snapshot = {
  pick: (names) => names.find((n) => !/plate/i.test(n)) ?? names[0],
  ref: evidenceId,
};
/** Throw events carry `sha256:<hex>` (devices/throw.ts), which the throw alert links as evidence. */
const throwSnapshot: Snapshot = { pick: (names) => names[0], ref: (sha256) => `sha256:${sha256}` };

function apply(rules: readonly FieldRule[], alert: Alert, ctx: MapContext): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const rule of rules) {
    const v = rule.value(alert, ctx);
    if (v !== undefined) payload[rule.linli] = v;
  }
  return payload;
}

/** The canonical payload of an alert from a device of `deviceKind` (the ingest pipeline checks it against the schema). */
export function mapAlert(alert: Alert, deviceKind: string, ctx: MapContext): Mapped {
  const eventType = String(alert.eventType);
  if (str(alert.eventState)?.toLowerCase() === "inactive" || eventType.toLowerCase() === "heartbeat") return { kind: "heartbeat", eventType };
  if (deviceKind === "gate" && eventType.toUpperCase() === "ANPR") return { kind: "event", deviceKind, payload: apply(anprRules, alert, ctx), snapshot: gateSnapshot };
  if (deviceKind === "gate" && eventType === "AccessControllerEvent") {
    const verdict = accessVerdict(alert);
    if (!verdict) return { kind: "ignored", eventType: `${eventType} ${str(at(alert, "AccessControllerEvent.majorEventType")) ?? "?"}/${str(at(alert, "AccessControllerEvent.subEventType")) ?? "?"}` };
    return { kind: "event", deviceKind, payload: apply(accessRules, alert, ctx), snapshot: gateSnapshot };
  }
  if (deviceKind === "throw" && ctx.config.throwEvents.includes(eventType)) return { kind: "event", deviceKind, payload: apply(throwRules, alert, ctx), snapshot: throwSnapshot };
  return { kind: "ignored", eventType };
}
