import { nanoTimestamp, type FieldType, type Measurement, type Point } from "./point.ts";

/** A point that line protocol cannot carry as it is; the sink refuses it alone (isolate.ts). */
export class LineProtocolError extends Error {}

// what needs a backslash before it: measurement `,` and space; tag keys, tag values and field keys also `=`
const MEASUREMENT_SPECIAL = /[, ]/g;
const KEY_SPECIAL = /[,= ]/g;
const STRING_SPECIAL = /["\\]/g;
/**
 * InfluxDB reads a backslash as escaping the character after it and unescapes only `\,` `\=` `\ `
 * in names, so a backslash before one of those, or at the end, cannot be written so that it reads
 * back as itself; nor can a line break (it ends the line), anywhere.
 */
const UNWRITABLE_NAME = /\\([,= ]|$)|[\n\r]/;
const UNWRITABLE_STRING = /[\n\r]/;

function name(value: string, special: RegExp, what: string): string {
  if (value === "") throw new LineProtocolError(`empty ${what}`);
  if (UNWRITABLE_NAME.test(value)) throw new LineProtocolError(`${what} ${JSON.stringify(value)}: a line break, or a backslash before ${special === KEY_SPECIAL ? "',', '=', ' '" : "',', ' '"} or at the end, cannot be written`);
  special.lastIndex = 0;
  return special.test(value) ? value.replace(special, "\\$&") : value;
}

/** a tag value with none of these needs no look further: the common case, one test */
const PLAIN_TAG_VALUE = /^[^,= \\\n\r]*$/;
const PLAIN_STRING = /^[^"\\\n\r]*$/;

function tagValue(value: string, tag: string): string {
  if (PLAIN_TAG_VALUE.test(value)) return value;
  if (UNWRITABLE_NAME.test(value)) throw new LineProtocolError(`tag ${tag} ${JSON.stringify(value)}: a line break, or a backslash before ',', '=', ' ' or at the end, cannot be written`);
  KEY_SPECIAL.lastIndex = 0;
  return KEY_SPECIAL.test(value) ? value.replace(KEY_SPECIAL, "\\$&") : value;
}

function fieldValue(type: FieldType, value: unknown, key: string): string {
  switch (type) {
    case "integer":
      // int64: InfluxDB refuses the whole request for one out of range
      if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 2 ** 63) return `${value}i`;
      break;
    case "float":
      if (typeof value === "number" && Number.isFinite(value)) return String(value);
      break;
    case "boolean":
      if (typeof value === "boolean") return value ? "true" : "false";
      break;
    case "string":
      if (typeof value === "string") {
        if (PLAIN_STRING.test(value)) return `"${value}"`;
        if (UNWRITABLE_STRING.test(value)) throw new LineProtocolError(`field ${key}: a line break cannot be written`);
        STRING_SPECIAL.lastIndex = 0;
        return `"${STRING_SPECIAL.test(value) ? value.replace(STRING_SPECIAL, "\\$&") : value}"`;
      }
      break;
  }
  throw new LineProtocolError(`field ${key}: expected ${type}, got ${JSON.stringify(value)}`);
}

interface Shape {
  measurement: string;
  /** declared tags, sorted (the order InfluxDB keeps them in), with their escaped keys */
  tags: ReadonlyArray<readonly [string, string]>;
  declaredTags: ReadonlySet<string>;
  fields: ReadonlyMap<string, { type: FieldType; key: string }>;
}

/**
 * Encodes points as InfluxDB line protocol, one line each, with nanosecond timestamps, field types
 * from the measurement registry (an integer field always carries `i`). Every name is escaped once,
 * when the encoder is built; per point only tag values and string fields are looked at.
 */
export class LineProtocolEncoder {
  readonly #shapes: ReadonlyMap<string, Shape>;

  constructor(measurements: readonly Measurement[]) {
    this.#shapes = new Map(
      measurements.map((m) => [
        m.name,
        {
          measurement: name(m.name, MEASUREMENT_SPECIAL, "measurement"),
          tags: [...m.tags].sort().map((t) => [t, name(t, KEY_SPECIAL, "tag key")] as const),
          declaredTags: new Set(m.tags),
          fields: new Map(Object.entries(m.fields).map(([k, type]) => [k, { type, key: name(k, KEY_SPECIAL, "field key") }])),
        },
      ]),
    );
  }

  /** One point's line; throws LineProtocolError for a point it cannot write as it is. */
  line(p: Point): string {
    const shape = this.#shapes.get(p.measurement);
    if (!shape) throw new LineProtocolError(`unknown measurement ${p.measurement}`);
    let line = shape.measurement;
    for (const t in p.tags) if (!shape.declaredTags.has(t)) throw new LineProtocolError(`${p.measurement}: undeclared tag ${t}`);
    for (const [tag, key] of shape.tags) {
      const v = p.tags[tag];
      // InfluxDB has no empty tag value: an empty one is a tag left out
      if (v !== undefined && v !== "") line += `,${key}=${tagValue(v, tag)}`;
    }
    let sep = " ";
    for (const k in p.fields) {
      const field = shape.fields.get(k);
      if (!field) throw new LineProtocolError(`${p.measurement}: undeclared field ${k}`);
      line += `${sep}${field.key}=${fieldValue(field.type, p.fields[k], k)}`;
      sep = ",";
    }
    if (sep === " ") throw new LineProtocolError(`${p.measurement}: no fields`);
    return `${line} ${nanoTimestamp(p)}`;
  }

  /** A request body: the points' lines, newline-separated. */
  body(points: readonly Point[]): string {
    let body = "";
    for (let i = 0; i < points.length; i++) body += (i === 0 ? "" : "\n") + this.line(points[i]!);
    return body;
  }
}
