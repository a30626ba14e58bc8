import http, { type ClientRequest, type IncomingMessage } from "node:http";
import https from "node:https";
import type { Logger } from "pino";
import { digestAuthorization, digestChallenge, type DigestChallenge } from "./dahua-digest.ts";
import { boundaryOf, MultipartSplitter, parseDahuaPart, type DahuaPart } from "./dahua-stream.ts";

/** What ended an attach: each is counted, logged, and followed by a reconnect after a backoff. */
export type AttachFault = "unreachable" | "unauthorized" | "http_status" | "not_multipart" | "dropped" | "stalled";

export interface AttachTarget {
  url: string;
  user: string;
  password: string;
  codes: readonly string[];
}

export interface AttachOptions {
  heartbeatS: number;
  staleMs: number;
  backoff: { minMs: number; maxMs: number };
  /** one event part bigger than this is dropped, never buffered further */
  maxPartBytes: number;
}

export interface AttachHandlers {
  part(part: DahuaPart): void;
  /** `online` once the device answers with its event stream; `offline` with the fault and the next try */
  state(state: "online" | "offline", detail: string, fault?: AttachFault): void;
}

/** The attach request's path and query, as Dahua's HTTP API writes it (the brackets unescaped: firmware reads them literally). */
export function attachPath(codes: readonly string[], heartbeatS: number): string {
  return `/cgi-bin/eventManager.cgi?action=attach&codes=[${codes.join(",")}]&heartbeat=${heartbeatS}`;
}

/**
 * One Dahua device's event stream: GET eventManager.cgi?action=attach, logging in with Digest (or
 * Basic, when that is all the device offers), then reading the multipart stream for as long as it
 * lasts. Whatever ends it (refused connection, wrong password, wrong URL, the stream closing, or
 * nothing, not even a heartbeat, for `staleMs`) is a fault: announced, and attached again after a
 * backoff that doubles with each fault in a row and starts over once the stream delivers.
 */
export class DahuaAttach {
  readonly #path: string;
  #request: ClientRequest | undefined;
  #challenge: DigestChallenge | undefined;
  #basic = false;
  #nc = 0;
  #faultsInRow = 0;
  #retry: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly target: AttachTarget,
    private readonly options: AttachOptions,
    private readonly on: AttachHandlers,
    private readonly log: Logger,
  ) {
    this.#path = attachPath(target.codes, options.heartbeatS);
  }

  start(): void {
    this.#connect(false);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#watchdog);
    this.#request?.destroy();
    this.#request = undefined;
  }

  #authorization(): string | undefined {
    const { user, password } = this.target;
    if (this.#basic) return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    if (!this.#challenge) return undefined;
    return digestAuthorization(this.#challenge, user, password, "GET", this.#path, ++this.#nc);
  }

  /** `retried`: this request already answers a fresh challenge, so another 401 means the password is wrong. */
  #connect(retried: boolean): void {
    if (this.#stopped) return;
    const url = new URL(this.#path, this.target.url);
    const auth = this.#authorization();
    const get = url.protocol === "https:" ? https.get : http.get;
    // no agent: the stream holds its socket for good, and a 401's socket is often closed by the device
    const req = get(url, { agent: false, headers: { accept: "multipart/x-mixed-replace", ...(auth ? { authorization: auth } : {}) } });
    this.#request = req;
    req.setTimeout(this.options.staleMs, () => req.destroy(new Error(`no answer in ${this.options.staleMs} ms`)));
    req.once("response", (res) => this.#answered(req, res, auth !== undefined, retried));
    // `on`, not `once`: a destroyed request may report a second error, and an unheard one would crash the gateway
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (this.#request !== req) return;
      this.#fault(err.message.startsWith("no answer") ? "stalled" : "unreachable", `cannot reach ${this.target.url}: ${err.code ?? err.message}`);
    });
  }

  #answered(req: ClientRequest, res: IncomingMessage, sentAuth: boolean, retried: boolean): void {
    if (this.#request !== req) {
      res.destroy();
      return;
    }
    if (res.statusCode === 401) {
      res.resume();
      const header = res.headers["www-authenticate"];
      const challenge = digestChallenge(header);
      const fresh = challenge !== undefined && challenge.nonce !== this.#challenge?.nonce;
      const basicOnly = !challenge && /^Basic/i.test(String(header ?? ""));
      // a new nonce (first contact, or the old one expired) is answered once; a second 401 is the password
      if (!retried && (fresh || !sentAuth) && (challenge || basicOnly)) {
        if (challenge) {
          this.#challenge = challenge;
          this.#nc = 0;
        }
        this.#basic = basicOnly;
        this.#request = undefined;
        req.destroy();
        return this.#connect(true);
      }
      return this.#fault("unauthorized", `${this.target.url} refused user ${this.target.user}: 401 (wrong user or password)`);
    }
    if (res.statusCode !== 200) {
      res.resume();
      return this.#fault("http_status", `${this.target.url}${this.#path.split("?")[0]} answered ${res.statusCode} ${res.statusMessage ?? ""}`.trim());
    }
    const boundary = boundaryOf(res.headers["content-type"]);
    if (!boundary) {
      res.resume();
      return this.#fault("not_multipart", `${this.target.url} answered ${res.headers["content-type"] ?? "no content type"}, not an event stream`);
    }
    req.setTimeout(0);
    let lastByteAt = Date.now();
    let delivered = false;
    const splitter = new MultipartSplitter(
      boundary,
      this.options.maxPartBytes,
      (body) => {
        if (!delivered) {
          delivered = true;
          this.#faultsInRow = 0;
        }
        this.on.part(parseDahuaPart(body.toString("utf8")));
      },
      (bytes) => this.on.part({ kind: "malformed", detail: `a part over ${this.options.maxPartBytes} bytes (${bytes}) dropped` }),
    );
    this.log.info({ url: this.target.url, user: this.target.user }, "Dahua event stream attached");
    this.on.state("online", `attached to ${this.target.url}, heartbeat every ${this.options.heartbeatS} s`);
    res.on("data", (chunk: Buffer) => {
      lastByteAt = Date.now();
      splitter.push(chunk);
    });
    clearInterval(this.#watchdog);
    this.#watchdog = setInterval(() => {
      if (Date.now() - lastByteAt <= this.options.staleMs) return;
      this.#fault("stalled", `${this.target.url} sent nothing, not even a heartbeat, for ${this.options.staleMs} ms`);
    }, Math.min(1_000, this.options.staleMs / 4));
    this.#watchdog.unref();
    const ended = () => {
      if (this.#request === req) this.#fault("dropped", `${this.target.url} closed the event stream`);
    };
    res.once("end", ended);
    res.once("close", ended);
    res.on("error", ended);
  }

  #fault(fault: AttachFault, detail: string): void {
    const req = this.#request;
    this.#request = undefined;
    clearInterval(this.#watchdog);
    req?.destroy();
    if (this.#stopped) return;
    const { minMs, maxMs } = this.options.backoff;
    const delay = Math.min(maxMs, minMs * 2 ** this.#faultsInRow);
    this.#faultsInRow++;
    const text = `${detail}; attaching again in ${delay} ms`;
    this.log.warn({ url: this.target.url, user: this.target.user, fault, retryInMs: delay }, `Dahua event stream down: ${text}`);
    this.on.state("offline", text, fault);
    this.#retry = setTimeout(() => this.#connect(false), delay);
  }
}
