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
}

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** epoch milliseconds */
  ts: number;
}

export function defineMeasurement<const M extends Measurement>(m: M): M {
  return m;
}
