import { charger } from "../../devices/charger.ts";
import { gate } from "../../devices/gate.ts";
import { lift } from "../../devices/lift.ts";
import { throwCamera } from "../../devices/throw.ts";
import { isChannel, type DeviceEvent } from "../../devices/types.ts";
import { localDay } from "../local-day.ts";

/** What the page shows of a device's latest messages; each part is there once a message carried it. */
export interface LastValues {
  lift?: { floor: number; door: string; moving: boolean; direction: string; mode: string; at: number };
  ports?: { total: number; charging: number; fault: number; powerW: number; hottestC: number; at: number };
  /** gate passes since midnight in the site's time zone */
  passes?: { day: string; count: number; refused: number; lastAt: number };
  throw?: { building: string; floor: number | null; at: number };
}

/**
 * Folds one device event into its last values: a lift's floor and doors, a charger's ports, a
 * gate's passes today, a throw camera's latest event. Other channels (frames, heartbeats, acks)
 * change nothing here; they still count as the device being heard.
 */
export function foldEvent(values: LastValues, ev: DeviceEvent, timeZone: string): void {
  if (isChannel(ev, lift, "state")) {
    const d = ev.data;
    values.lift = { floor: d.floor, door: d.door, moving: d.moving, direction: d.direction, mode: d.mode, at: ev.ts };
  } else if (isChannel(ev, charger, "telemetry")) {
    const ports = ev.data.ports;
    values.ports = {
      total: ports.length,
      charging: ports.filter((p) => p.state === "charging").length,
      fault: ports.filter((p) => p.state === "fault").length,
      powerW: Math.round(ports.reduce((sum, p) => sum + p.powerW, 0)),
      hottestC: Math.max(...ports.map((p) => p.tempC)),
      at: ev.ts,
    };
  } else if (isChannel(ev, gate, "event")) {
    const day = localDay(ev.ts, timeZone);
    const today = values.passes?.day === day ? values.passes : { day, count: 0, refused: 0, lastAt: ev.ts };
    values.passes = { day, count: today.count + 1, refused: today.refused + (ev.data.granted ? 0 : 1), lastAt: ev.ts };
  } else if (isChannel(ev, throwCamera, "event")) {
    values.throw = { building: ev.data.building, floor: ev.data.floor, at: ev.ts };
  }
}

/** Yesterday's gate count is no count for today: read `passes` through this. */
export function passesToday(values: LastValues, now: number, timeZone: string): LastValues["passes"] {
  const p = values.passes;
  return p && p.day === localDay(now, timeZone) ? p : undefined;
}
