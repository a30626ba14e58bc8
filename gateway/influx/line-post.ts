import { LineProtocolEncoder } from "./line-protocol.ts";
import type { Measurement, Point } from "./point.ts";
import { httpSinkError, SinkError } from "./sink.ts";

/**
 * The 1.x write request: the points as line protocol (line-protocol.ts), one POST to /write, the
 * answer classified (sink.ts). Sent with fetch, since the `influx` client encodes its own line
 * protocol at several times the CPU per point; the client still creates the database (v1-sink.ts).
 * The writer needs a failure's status and Retry-After to back off as told, and the spool (not a
 * client's own buffer) is the one place that retries, in order.
 */
export class LinePoster {
  readonly #encoder: LineProtocolEncoder;

  constructor(
    /** `InfluxDB 1.x write`, for the errors */
    private readonly label: string,
    private readonly url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
    measurements: readonly Measurement[],
  ) {
    this.#encoder = new LineProtocolEncoder(measurements);
  }

  async write(points: readonly Point[]): Promise<void> {
    let body: string;
    try {
      body = this.#encoder.body(points);
    } catch (err) {
      // a point line protocol cannot carry, or the registry does not allow, can never be written
      throw new SinkError(`${this.label}: ${(err as Error).message}`, { refusal: { reason: "unparsable" } });
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, { method: "POST", headers: { "content-type": "text/plain; charset=utf-8", ...this.headers }, body, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: Error };
      const why = e.name === "TimeoutError" ? `no answer within ${this.timeoutMs} ms` : `${e.message}${e.cause ? ` (${e.cause.message})` : ""}`;
      throw new SinkError(`${this.label} failed: ${why}`);
    }
    if (!res.ok) throw httpSinkError(`${this.label} failed`, res.status, text, res.headers.get("retry-after"));
  }
}
