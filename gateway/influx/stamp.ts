import { createHash } from "node:crypto";
import type { Point } from "./point.ts";

const NS_PER_MS = 1_000_000;

/** Measurement and tags in a fixed order: what InfluxDB calls the series key. */
function seriesKey(p: Point): string {
  let key = p.measurement;
  for (const k of Object.keys(p.tags).sort()) key += `,${k}=${p.tags[k]}`;
  return key;
}

/** The point's identity (series, ms, and its identity field or else every field with its JS type) as one digest. */
function digest(series: string, p: Point, identity: string | undefined): Buffer {
  let content = `${series}\u0000${p.ts}`;
  const id = identity === undefined ? undefined : p.fields[identity];
  if (id !== undefined) content += `\u0000#${identity}=${JSON.stringify(id)}`;
  else for (const k of Object.keys(p.fields).sort()) content += `\u0000${k}=${JSON.stringify(p.fields[k])}`;
  return createHash("sha1").update(content).digest();
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
  /** slot (series, ms, ns) -> identity of the point that holds it; Map order is insertion order */
  readonly #slots = new Map<string, string>();

  constructor(readonly memory = 50_000) {}

  /** `identityField`: the measurement's identity field (Measurement.identity), when it declares one. */
  stamp(point: Point, identityField?: string): Point {
    // stamped already: that is the slot it was, or will be, written to
    if (point.ns !== undefined) return point;
    const series = seriesKey(point);
    const d = digest(series, point, identityField);
    const identity = d.toString("base64", 4, 16);
    const base = `${series} ${point.ts} `;
    let ns = d.readUInt32BE(0) % NS_PER_MS;
    for (let tries = 0; tries < NS_PER_MS; tries++, ns = (ns + 1) % NS_PER_MS) {
      const slot = base + ns;
      const holder = this.#slots.get(slot);
      if (holder === identity) break;
      if (holder === undefined) {
        this.#remember(slot, identity);
        break;
      }
    }
    return { ...point, ns };
  }

  #remember(slot: string, identity: string): void {
    this.#slots.set(slot, identity);
    if (this.#slots.size > this.memory) {
      const oldest = this.#slots.keys().next();
      if (!oldest.done) this.#slots.delete(oldest.value);
    }
  }
}
