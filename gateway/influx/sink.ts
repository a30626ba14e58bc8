import type { Point } from "./point.ts";

/** Where batches finally go: InfluxDB 1.x or 2.x. */
export interface Sink {
  /** Prepares the target (creates the 1.x database); may fail while the server is away. */
  ensure(): Promise<void>;
  write(points: readonly Point[]): Promise<void>;
  close(): Promise<void>;
}

/** Why InfluxDB refused points: the `reason` label of `linli_points_refused_total`. */
export type RefusedReason = "field_type_conflict" | "beyond_retention" | "unparsable" | "series_limit" | "too_large" | "refused";

/** What a 4xx answer says about the points of the request. */
export interface Refusal {
  reason: RefusedReason;
  /**
   * InfluxDB's `dropped=N` of a partial write: N points were refused and the others stored. Absent
   * when the server did not say (then the whole request may have been refused).
   */
  dropped?: number;
  /** the measurement and field InfluxDB named (a field type conflict names them) */
  target?: { measurement: string; field: string };
}

/**
 * A write failure, classified. Without a `refusal` it is worth retrying (server away, 5xx, timeout,
 * 401/403, 429): the batch stays in the spool, tried again no earlier than `retryAfterMs` when the
 * server said so. With one (400, 413, 422: some points can never be written as they are), the
 * batch is isolated point by point, so that its good points still land.
 */
export class SinkError extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly refusal: Refusal | undefined;

  constructor(message: string, details: { status?: number | undefined; retryAfterMs?: number | undefined; refusal?: Refusal } = {}) {
    super(message);
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.refusal = details.refusal;
  }
}

function retryable(status: number): boolean {
  // 401/403: the credentials or permissions are wrong, not the points; they wait until an operator fixes it
  return status >= 500 || status === 401 || status === 403 || status === 404 || status === 408 || status === 429;
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 10.2.3), in milliseconds from `now`. */
function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// InfluxDB's own wording (1.x tsdb and models packages; 2.x wraps the same text)
const REASONS: ReadonlyArray<[RegExp, RefusedReason]> = [
  [/field type conflict/i, "field_type_conflict"],
  [/beyond retention policy/i, "beyond_retention"],
  [/unable to parse|invalid field format|bad timestamp|missing (fields|tag value|field value)/i, "unparsable"],
  [/max-values-per-tag|max-series-per-database|series limit/i, "series_limit"],
];

/** Reads a refused write's status and error text: why, how many points were dropped, which field. */
function refusalOf(status: number, text: string): Refusal {
  const reason = status === 413 ? "too_large" : (REASONS.find(([re]) => re.test(text))?.[1] ?? "refused");
  const refusal: Refusal = { reason };
  const dropped = /dropped=(\d+)/.exec(text);
  if (dropped) refusal.dropped = Number(dropped[1]);
  const target = /input field "([^"]+)" on measurement "([^"]+)"/.exec(text);
  if (target) refusal.target = { field: target[1] as string, measurement: target[2] as string };
  return refusal;
}

/** The error text of an answer: 1.x sends {"error": ...}, 2.x {"code": ..., "message": ...}. */
function errorText(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    const text = json.error ?? json.message;
    if (typeof text === "string") return text;
  } catch {
    // not JSON (a proxy's HTML page, a plain-text body): the body is the text
  }
  return body.trim();
}

/** The classified error for an HTTP answer that was not a success. */
export function httpSinkError(prefix: string, status: number, body: string, retryAfter: string | null | undefined): SinkError {
  const text = errorText(body);
  const message = `${prefix}: HTTP ${status}: ${text.slice(0, 500)}`;
  if (retryable(status)) return new SinkError(message, { status, retryAfterMs: parseRetryAfter(retryAfter) });
  return new SinkError(message, { status, refusal: refusalOf(status, text) });
}
