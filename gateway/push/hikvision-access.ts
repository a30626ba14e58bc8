import { at, eventIdOf, isoTime, num, str } from "./alert-fields.ts";
import type { Alert, FieldRule } from "./hikvision.ts";

/**
 * Hikvision access-control terminals (face recognition terminals, card readers) push
 * `eventType` AccessControllerEvent: `AccessControllerEvent.majorEventType` 5 (an event, not an
 * alarm or a door state) with `subEventType` saying what happened. The codes linli takes, as the
 * ISAPI access-control documents list them; every other code is answered 200 and ignored.
 */
export const ACCESS_EVENTS: Readonly<Record<number, { method: "face" | "card"; granted: boolean; what: string }>> = {
  1: { method: "card", granted: true, what: "valid card" },
  9: { method: "card", granted: false, what: "card not registered" },
  75: { method: "face", granted: true, what: "face authentication passed" },
  76: { method: "face", granted: false, what: "face authentication failed" },
};

/** The verdict of an access alert, or undefined when it is not one linli takes. */
export function accessVerdict(alert: Alert): (typeof ACCESS_EVENTS)[number] | undefined {
  if (num(at(alert, "AccessControllerEvent.majorEventType")) !== 5) return undefined;
  const minor = num(at(alert, "AccessControllerEvent.subEventType"));
  return minor === undefined ? undefined : ACCESS_EVENTS[minor];
}

const ace = (a: Alert, field: string) => at(a, `AccessControllerEvent.${field}`);

/** AccessControllerEvent alert -> gate `event` (method face or card). */
export const accessRules: readonly FieldRule[] = [
  { linli: "method", vendor: "AccessControllerEvent.subEventType (75, 76: face; 1, 9: card)", value: (a) => accessVerdict(a)?.method },
  { linli: "granted", vendor: "AccessControllerEvent.subEventType (75, 1: true; 76, 9: false)", value: (a) => accessVerdict(a)?.granted },
  {
    linli: "personId",
    vendor: "AccessControllerEvent.employeeNoString (employeeNo), else cardNo, else `unknown` (a stranger's face)",
    value: (a) => str(ace(a, "employeeNoString")) ?? str(ace(a, "employeeNo")) ?? str(ace(a, "cardNo")) ?? "unknown",
  },
  { linli: "direction", vendor: "AccessControllerEvent.doorNo via push.hikvision.doors, else in", value: (a, ctx) => ctx.config.doors[str(ace(a, "doorNo")) ?? ""] ?? "in" },
  { linli: "confidence", vendor: "none sent: 1 (the terminal decided)", value: () => 1 },
  { linli: "ts", vendor: "dateTime (ISO 8601 with offset)", value: (a) => isoTime(at(a, "dateTime")) },
  {
    linli: "eventId",
    vendor: "UUID, else <deviceId>-<AccessControllerEvent.serialNo>, else <deviceId>-<digest of dateTime and subEventType>",
    value: (a, ctx) => {
      const serial = str(ace(a, "serialNo"));
      return eventIdOf(ctx.deviceId, str(at(a, "UUID")) ?? (serial === undefined ? undefined : `${ctx.deviceId}-${serial}`), [str(at(a, "dateTime")), str(ace(a, "subEventType"))]);
    },
  },
];
