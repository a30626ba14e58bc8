import type { Point } from "./point.ts";
import { SinkError, type RefusedReason, type Sink } from "./sink.ts";

/** Points InfluxDB refused for one reason, on one measurement (and field, when it named one). */
export interface RefusedGroup {
  reason: RefusedReason;
  measurement: string;
  field?: string;
  points: number;
  /** InfluxDB's words for the first of them */
  error: string;
}

export interface Delivery {
  /** points InfluxDB holds now */
  written: number;
  refused: RefusedGroup[];
}

function asSinkError(err: unknown): SinkError {
  return err instanceof SinkError ? err : new SinkError(String(err));
}

/**
 * Writes a batch so that a refusal costs only the refused points. When InfluxDB refuses a request
 * (HTTP 400 `partial write: field type conflict ... dropped=N`, an unparsable point, a body too
 * large) the batch is split and each part written again, down to single points, until every
 * refused point is found; the good points land. Writing a good point twice is harmless: the same
 * series, time and fields make the same point. The split follows what the server named first (the
 * points carrying the conflicting field apart from the others), then halves. A failure worth
 * retrying (server away, 5xx, timeout) is thrown, and the whole batch is tried again later.
 */
export async function deliver(sink: Sink, points: readonly Point[]): Promise<Delivery> {
  const delivery: Delivery = { written: 0, refused: [] };
  await settle(sink, points, delivery);
  return delivery;
}

async function settle(sink: Sink, points: readonly Point[], out: Delivery): Promise<void> {
  let err: SinkError;
  try {
    await sink.write(points);
    out.written += points.length;
    return;
  } catch (e) {
    err = asSinkError(e);
  }
  const refusal = err.refusal;
  if (!refusal) throw err;
  if (points.length === 1 || refusal.dropped === points.length) {
    refuse(points, refusal.reason, refusal.target?.field, err.message, out);
    return;
  }
  for (const part of split(points, refusal.target)) await settle(sink, part, out);
}

/** The points carrying the named field apart from the others, when that separates them; else halves. */
function split(points: readonly Point[], target: { measurement: string; field: string } | undefined): Array<readonly Point[]> {
  if (target) {
    const suspect = (p: Point) => p.measurement === target.measurement && target.field in p.fields;
    const suspects = points.filter(suspect);
    if (suspects.length > 0 && suspects.length < points.length) return [points.filter((p) => !suspect(p)), suspects];
  }
  const mid = points.length >>> 1;
  return [points.slice(0, mid), points.slice(mid)];
}

function refuse(points: readonly Point[], reason: RefusedReason, field: string | undefined, error: string, out: Delivery): void {
  for (const p of points) {
    const group = out.refused.find((g) => g.reason === reason && g.measurement === p.measurement && g.field === field);
    if (group) group.points++;
    else out.refused.push({ reason, measurement: p.measurement, field, points: 1, error });
  }
}
