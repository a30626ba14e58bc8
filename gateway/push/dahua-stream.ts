/**
 * Dahua's `eventManager.cgi?action=attach` answer: an endless `multipart/x-mixed-replace` body
 * (boundary `myboundary` on every firmware seen), each part one event as text,
 *
 *     --myboundary
 *     Content-Type: text/plain
 *     Content-Length: 36
 *
 *     Code=VideoMotion;action=Start;index=0
 *
 * or `Heartbeat` every heartbeat=N seconds. `data={...}` (pretty-printed JSON) follows the index
 * for events that carry details. Firmware differs in the small things, so the splitter takes
 * Content-Length when a part has one (lets a part end at once, rather than at the next boundary)
 * and the next boundary when not, CRLF or bare LF, and `Content-Length:36` without a space.
 */

export type DahuaPart =
  | { kind: "heartbeat" }
  | { kind: "event"; code: string; action: string; index: number; data: Record<string, unknown> | undefined }
  /** a part that is not an event this parser understands: counted, never fatal to the stream */
  | { kind: "malformed"; detail: string };

const EVENT = /^Code=([^;]+);action=([^;]+)(?:;index=(-?\d+))?(?:;data=([\s\S]*))?$/;

/** One part's text -> a heartbeat, an event, or why it is neither. */
export function parseDahuaPart(text: string): DahuaPart {
  const body = text.replace(/^\uFEFF/, "").trim();
  if (body === "Heartbeat") return { kind: "heartbeat" };
  const m = EVENT.exec(body);
  if (!m) return { kind: "malformed", detail: `not Code=...;action=...: ${body.slice(0, 60)}` };
  let data: Record<string, unknown> | undefined;
  if (m[4] !== undefined && m[4].trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(m[4]);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { kind: "malformed", detail: `${m[1]}: data is not an object` };
      data = parsed as Record<string, unknown>;
    } catch (err) {
      return { kind: "malformed", detail: `${m[1]}: data is not JSON (${(err as Error).message})` };
    }
  }
  return { kind: "event", code: m[1] as string, action: m[2] as string, index: Number(m[3] ?? 0), data };
}

/** The boundary of a `multipart/x-mixed-replace; boundary=...` content type, else undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /^multipart\/x-mixed-replace\s*;.*\bboundary="?([^";]+)"?/i.exec(contentType ?? "");
  return m?.[1]?.replace(/^--/, "");
}

/**
 * Cuts the stream's bytes into part bodies as they arrive. A part that grows past `maxPartBytes`
 * is dropped (`onOversize`) and the splitter looks for the next boundary, so one broken part cannot
 * hold the stream's memory.
 */
export class MultipartSplitter {
  readonly #delimiter: Buffer;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(
    boundary: string,
    private readonly maxPartBytes: number,
    private readonly onPart: (body: Buffer, contentType: string | undefined) => void,
    private readonly onOversize: (bytes: number) => void,
  ) {
    this.#delimiter = Buffer.from(`--${boundary}`);
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#next());
    if (this.#buffer.length > this.maxPartBytes + 1_024) {
      this.onOversize(this.#buffer.length);
      // keep only what could be the start of the next delimiter
      this.#buffer = this.#buffer.subarray(this.#buffer.length - this.#delimiter.length);
    }
  }

  /** Takes one complete part off the buffer; false when none is complete yet. */
  #next(): boolean {
    const start = this.#buffer.indexOf(this.#delimiter);
    if (start < 0) return false;
    const headerStart = start + this.#delimiter.length;
    const crlf = this.#buffer.indexOf("\r\n\r\n", headerStart);
    const lf = this.#buffer.indexOf("\n\n", headerStart);
    const [headerEnd, sepLength] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
    if (headerEnd < 0) return false;
    const headers = this.#buffer.subarray(headerStart, headerEnd).toString("latin1");
    const bodyStart = headerEnd + sepLength;
    const length = /content-length\s*:\s*(\d+)/i.exec(headers)?.[1];
    const type = /content-type\s*:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim();
    const nextDelimiter = this.#buffer.indexOf(this.#delimiter, bodyStart);
    let bodyEnd: number;
    // a declared length that runs into the next part is wrong: the framing wins
    if (length !== undefined && Number(length) > 0 && (nextDelimiter < 0 || bodyStart + Number(length) <= nextDelimiter)) {
      bodyEnd = bodyStart + Number(length);
      if (this.#buffer.length < bodyEnd) return false;
    } else {
      if (nextDelimiter < 0) return false;
      bodyEnd = nextDelimiter;
    }
    const body = this.#buffer.subarray(bodyStart, bodyEnd);
    this.#buffer = this.#buffer.subarray(bodyEnd);
    this.onPart(body, type);
    return true;
  }
}
