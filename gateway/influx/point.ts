/**
 * The unit every feature hands to the InfluxDB writer, and the declared shape of each measurement.
 * Field types are declared once per measurement so that an integer field is never written as a
 * float (InfluxDB refuses a batch whose field type conflicts with what a shard already holds).
 */
export type FieldType = "integer" | "float" | "boolean" | "string";
export type FieldValue = number | boolean | string;

export interface Measurement {
  name: string;
  description: string;
  tags: readonly string[];
  fields: Readonly<Record<string, FieldType>>;
  /**
   * The field that names the event, the same in a device's resend: its sub-millisecond offset is
   * taken from it rather than from the whole content, which may differ in a resend (an id hashed
   * with a key that changed at the restart, a restamped receive time's fields).
   */
  identity?: string;
}

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** epoch milliseconds */
  ts: number;
  /**
   * Nanoseconds within `ts` (0..999999), so that two points of one series in one millisecond stay
   * two points (see stamp.ts). Absent on points spooled before it existed: written as 0.
   */
  ns?: number;
}

/** The point's time in nanoseconds as line protocol digits (a number would lose them past 2^53). */
export function nanoTimestamp(p: Point): string {
  return `${p.ts}${String(p.ns ?? 0).padStart(6, "0")}`;
}

/** Keeps the literal tag list and field map, so points can be checked against them at compile time. */
export function defineMeasurement<const M extends Measurement>(m: M): M {
  return m;
}

type ValueOf<T extends FieldType> = T extends "boolean" ? boolean : T extends "string" ? string : number;

export type TagName<M extends Measurement> = M["tags"][number];

/** A measurement's tags; any may be left out, as InfluxDB allows. */
export type TagsOf<M extends Measurement> = { [K in TagName<M>]?: string };

/** A measurement's fields, typed as declared; any may be left out (or undefined), as InfluxDB allows. */
export type FieldsOf<M extends Measurement> = { [K in keyof M["fields"]]?: ValueOf<M["fields"][K]> };

// runs for every point of every device message: no intermediate arrays
function defined<V>(values: Record<string, V | undefined>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k in values) {
    const v = values[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Builds a point of a declared measurement: a misspelt tag or field, or a value of the wrong type,
 * is a compile error. Undefined values are left out, so an optional payload value maps to a field
 * without a conditional spread (which would escape the excess-property check).
 */
export function pointOf<M extends Measurement>(measurement: M, point: { tags: TagsOf<M>; fields: FieldsOf<M>; ts: number }): Point {
  return {
    measurement: measurement.name,
    tags: defined<string>(point.tags),
    fields: defined<FieldValue>(point.fields as Record<string, FieldValue | undefined>),
    ts: point.ts,
  };
}
