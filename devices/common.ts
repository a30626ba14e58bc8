import { z } from "zod";
import { pointOf, type FieldsOf, type Measurement, type Point, type TagName, type TagsOf } from "../gateway/influx/point.ts";
import type { DeviceEvent } from "./types.ts";

/** Epoch milliseconds, between 2020 and 2100: anything else is a device with a broken clock. */
export const epochMs = z.number().int().min(1_577_836_800_000).max(4_102_444_800_000);

/** Device ids and event ids: short, printable, safe in a topic level and an InfluxDB tag. */
export const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/, "letters, digits and . _ : - only");

/** The fields every JSON payload may carry. */
export const envelope = { ts: epochMs.optional(), deviceId: id.optional() };

/** A measurement of device data: its first tag is the site, as every device topic names one. */
export type DeviceMeasurement = Measurement & { tags: readonly ["site", ...string[]] };

/**
 * Builds one point of `measurement` for a device event, tagged with its site and, under
 * `deviceTag`, its device id; tags and fields are checked against the measurement's declaration.
 */
export function devicePoint<M extends DeviceMeasurement, D extends Exclude<TagName<M>, "site">>(
  event: DeviceEvent,
  measurement: M,
  deviceTag: D,
  fields: FieldsOf<M>,
  tags?: Omit<TagsOf<M>, "site" | D>,
): Point {
  // A computed key loses its name in the type, so the checked parts are put together by hand.
  const deviceTags = { site: event.site, [deviceTag]: event.deviceId, ...tags } as TagsOf<M>;
  return pointOf(measurement, { tags: deviceTags, fields, ts: event.ts });
}

/** A Poisson arrival test for one simulator tick: true with the probability of >= 1 event. */
export function arrives(ratePerHour: number, tickMs: number, random: () => number): boolean {
  return random() < 1 - Math.exp((-ratePerHour * tickMs) / 3_600_000);
}

/** Traffic in a residential compound: low at night, peaks around 08:00 and 18:30 (China Standard Time). */
export function dailyActivity(now: number): number {
  const hour = ((now / 3_600_000 + 8) % 24 + 24) % 24;
  const peak = (centre: number, width: number) => Math.exp(-((hour - centre) ** 2) / (2 * width ** 2));
  return 0.1 + peak(8, 1.2) + 0.9 * peak(18.5, 1.5) + 0.3 * peak(12.5, 1.5);
}

export function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
