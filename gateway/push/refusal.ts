/** How a push request ended, as `linli_push_requests_total{vendor,outcome}` counts it. */
export type PushOutcome = "accepted" | "duplicate" | "ignored" | "heartbeat" | "unauthorized" | "forbidden" | "oversize" | "malformed" | "rejected" | "backpressure";

/** A push refused before it reached the ingest pipeline: the HTTP status, the outcome counted, and headers to answer with. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly outcome: PushOutcome,
    message: string,
    readonly headers: Readonly<Record<string, string | string[]>> = {},
  ) {
    super(message);
  }
}
