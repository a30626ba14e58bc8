import { hash } from "node:crypto";
import { compactString, FifoMemory } from "../fifo-memory.ts";
import type { Point } from "./point.ts";

const NS_PER_MS = 1_000_000;

/** Measurement and tags in a fixed order: what InfluxDB calls the series key. */
function seriesKey(p: Point): string {
  const keys = Object.keys(p.tags);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  let key = p.measurement;
  for (const k of keys) key += `,${k}=${p.tags[k]}`;
  return key;
}

/** The point's identity (series, ms, and its identity field or else every field with its JS type) as one digest. */
function digest(series: string, p: Point, identity: string | undefined): string {
  let content = `${series}\u0000${p.ts}`;
  const id = identity === undefined ? undefined : p.fields[identity];
  if (id !== undefined) content += `\u0000#${identity}=${JSON.stringify(id)}`;
  else for (const k of Object.keys(p.fields).sort()) content += `\u0000${k}=${JSON.stringify(p.fields[k])}`;
  // one-shot, as hex: no Hash object and no Buffer per point
  return hash("sha1", content, "hex");
}

/**
 * Gives every point its nanoseconds within its millisecond (`Point.ns`), because InfluxDB keeps one
 * point per series and timestamp: two gate passes of one gate in one millisecond would otherwise
 * overwrite each other. The offset is a hash of the point's identity (its event id field where the
 * measurement declares one, else its whole content), so an event a device sends again after a
 * gateway restart (its duplicate memory gone) lands on its old slot and stays one point; a spooled
 * point keeps the offset it was given. When a different point already took the
 * slot in this process, the next free one is used; the slots remembered for that are bounded
 * (`memory`, oldest forgotten first), which is enough because a collision needs two points of one
 * series in one millisecond.
 */
export class PointStamper {
  /** slot (series, ms, ns) -> 28 bits of the identity of the point that holds it (a small integer, not a string kept per slot) */
  readonly #slots: FifoMemory<string, number>;

  constructor(readonly memory = 50_000) {
    this.#slots = new FifoMemory(memory);
  }

  /** `identityField`: the measurement's identity field (Measurement.identity), when it declares one. */
  stamp(point: Point, identityField?: string): Point {
    // stamped already: that is the slot it was, or will be, written to
    if (point.ns !== undefined) return point;
    return { ...point, ns: this.offsetOf(point, identityField) };
  }

  /** The nanoseconds `stamp` gives an unstamped point, for a caller that owns the point and sets them itself. */
  offsetOf(point: Point, identityField?: string): number {
    const series = seriesKey(point);
    const d = digest(series, point, identityField);
    // the first 4 bytes place the point (as they always have: a resend lands where it landed before), the next 28 bits name it here
    const identity = Number.parseInt(d.slice(8, 15), 16);
    const base = `${series} ${point.ts} `;
    let ns = Number.parseInt(d.slice(0, 8), 16) % NS_PER_MS;
    for (let tries = 0; tries < NS_PER_MS; tries++, ns = (ns + 1) % NS_PER_MS) {
      const slot = base + ns;
      const holder = this.#slots.claim(compactString(slot), identity);
      if (holder === undefined || holder === identity) break;
    }
    return ns;
  }
}
