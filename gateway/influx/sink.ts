import type { Point } from "./point.ts";

/** Where batches finally go: InfluxDB 1.x or 2.x. */
export interface Sink {
  /** Prepares the target (creates the 1.x database); may fail while the server is away. */
  ensure(): Promise<void>;
  write(points: readonly Point[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A write failure, classified: retryable ones (server away, 5xx, timeout) keep the batch in the
 * spool; the others (4xx: a malformed or conflicting point) would fail forever and are dropped.
 */
export class SinkError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function classifyStatus(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status >= 500 || status === 404 || status === 408 || status === 429;
}
