import { at, eventIdOf, isoTime, num, str } from "./alert-fields.ts";
import type { Alert, FieldRule } from "./hikvision.ts";

/**
 * A throw camera's detection alert (line crossing `linedetection`, intrusion `fielddetection`, or
 * the event type a high-altitude-throw firmware uses, as push.hikvision.throwEvents lists) -> the
 * throw `event`, which the throw alert rule raises on. ISAPI detection alerts say where the target
 * was (`DetectionRegionList.DetectionRegionEntry.TargetRect`, 0–1 of the picture) but not which
 * floor nor how sure the camera is.
 */
function targetCentre(a: Alert): { t: number; x: number; y: number } | undefined {
  const rect = at(a, "DetectionRegionList.DetectionRegionEntry.TargetRect");
  const [x, y, w, h] = ["X", "Y", "width", "height"].map((k) => num(at(rect, k)));
  if (x === undefined || y === undefined) return undefined;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return { t: 0, x: clamp(x + (w ?? 0) / 2), y: clamp(y + (h ?? 0) / 2) };
}

export const throwRules: readonly FieldRule[] = [
  { linli: "building", vendor: "push.hikvision.buildings[<deviceId>], else channelName", value: (a, ctx) => ctx.config.buildings[ctx.deviceId] ?? str(at(a, "channelName"))?.slice(0, 32) },
  { linli: "floor", vendor: "not sent: null (floor unknown)", value: () => null },
  { linli: "confidence", vendor: "not sent: 1 (the camera decided)", value: () => 1 },
  { linli: "track", vendor: "DetectionRegionList.DetectionRegionEntry.TargetRect centre, one point at t 0", value: (a) => { const c = targetCentre(a); return c ? [c] : []; } },
  { linli: "ts", vendor: "dateTime (ISO 8601 with offset)", value: (a) => isoTime(at(a, "dateTime")) },
  { linli: "eventId", vendor: "UUID, else <deviceId>-<digest of eventType, dateTime, channelID>", value: (a, ctx) => eventIdOf(ctx.deviceId, str(at(a, "UUID")), [str(a.eventType), str(at(a, "dateTime")), str(at(a, "channelID"))]) },
];
