import type { FieldValue, Measurement, Point } from "./point.ts";

export type Checked = { ok: true; point: Point } | { ok: false; error: string };

function coerce(type: Measurement["fields"][string], value: FieldValue): FieldValue | undefined {
  switch (type) {
    case "integer":
      return typeof value === "number" && Number.isFinite(value) ? Math.round(value) : undefined;
    case "float":
      return typeof value === "number" && Number.isFinite(value) ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "string":
      return typeof value === "string" ? value : undefined;
  }
}

/**
 * Checks a point against its declared measurement before it can reach InfluxDB, so one bad point
 * is refused alone instead of failing (or type-poisoning) a whole batch.
 */
export function checkPoint(point: Point, measurements: ReadonlyMap<string, Measurement>): Checked {
  const m = measurements.get(point.measurement);
  if (!m) return { ok: false, error: `unknown measurement ${point.measurement}` };
  const tags: Record<string, string> = {};
  // once per point of every message: for...in, no entry arrays
  for (const k in point.tags) {
    if (!m.tags.includes(k)) return { ok: false, error: `${m.name}: undeclared tag ${k}` };
    const v = point.tags[k]!;
    if (v !== "") tags[k] = v;
  }
  const fields: Record<string, FieldValue> = {};
  let none = true;
  for (const k in point.fields) {
    const v = point.fields[k]!;
    const type = m.fields[k];
    if (!type) return { ok: false, error: `${m.name}: undeclared field ${k}` };
    const c = coerce(type, v);
    if (c === undefined) return { ok: false, error: `${m.name}.${k}: expected ${type}, got ${JSON.stringify(v)}` };
    fields[k] = c;
    none = false;
  }
  if (none) return { ok: false, error: `${m.name}: no fields` };
  if (!Number.isFinite(point.ts)) return { ok: false, error: `${m.name}: bad timestamp` };
  const checked: Point = { measurement: m.name, tags, fields, ts: Math.round(point.ts) };
  // a point stamped already keeps its slot within the millisecond (stamp.ts)
  if (point.ns !== undefined) {
    if (!Number.isInteger(point.ns) || point.ns < 0 || point.ns > 999_999) return { ok: false, error: `${m.name}: bad ns ${point.ns}` };
    checked.ns = point.ns;
  }
  return { ok: true, point: checked };
}
