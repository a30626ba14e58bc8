import { randomBytes, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { digestHash, parseDigest } from "../push/digest.ts";

export interface DahuaDeviceOptions {
  host?: string;
  port?: number;
  user: string;
  password: string;
  /** Dahua's realm names the device: `Login to <serial number>` */
  serial?: string;
}

const BOUNDARY = "myboundary";
const ATTACH = "/cgi-bin/eventManager.cgi";

/**
 * A simulated Dahua device's HTTP API, as far as the event stream goes: GET
 * /cgi-bin/eventManager.cgi?action=attach&codes=[...]&heartbeat=N behind HTTP Digest (MD5,
 * qop=auth, realm `Login to <serial>`, a new nonce per challenge and the connection closed after
 * the 401, as the firmware does), then the endless multipart/x-mixed-replace stream: a
 * `Heartbeat` part every N seconds and each event sent as `Code=...;action=...;index=...;data={...}`
 * with the JSON pretty-printed. Used by `linli simulate --devices vendor` and by the tests as the
 * device the gateway attaches to.
 */
export class SimulatedDahuaDevice {
  readonly #streams = new Set<ServerResponse>();
  readonly #nonces = new Set<string>();
  #attaches = 0;
  #refused = 0;
  #frozen = false;

  private constructor(
    private readonly server: http.Server,
    private readonly options: DahuaDeviceOptions,
  ) {}

  static async start(options: DahuaDeviceOptions): Promise<SimulatedDahuaDevice> {
    let device: SimulatedDahuaDevice | undefined;
    const server = http.createServer((req, res) => device?.handle(req, res));
    device = new SimulatedDahuaDevice(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return device;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.address}:${a.port}`;
  }

  /** attach requests answered with a stream, and refused with a 401 after a Digest answer */
  get attaches(): number {
    return this.#attaches;
  }
  get refused(): number {
    return this.#refused;
  }
  get streams(): number {
    return this.#streams.size;
  }

  get #realm(): string {
    return `Login to ${this.options.serial ?? "8M049B2PAJF3085"}`;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://device");
    if (req.method !== "GET" || url.pathname !== ATTACH) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Error\r\nBad Request!\r\n");
      return;
    }
    if (!this.#authorised(req)) return this.#challenge(res);
    const codes = /^\[([A-Za-z0-9_,]+)\]$/.exec(url.searchParams.get("codes") ?? "");
    if (url.searchParams.get("action") !== "attach" || !codes) {
      res.writeHead(400, { "content-type": "text/plain" }).end("Error\r\nBad Request!\r\n");
      return;
    }
    this.#attaches++;
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace; boundary=${BOUNDARY}`, connection: "close" });
    this.#streams.add(res);
    const heartbeatS = Number(url.searchParams.get("heartbeat") ?? "0");
    const beat = heartbeatS > 0 ? setInterval(() => this.#write(res, "Heartbeat"), heartbeatS * 1000) : undefined;
    res.once("close", () => {
      clearInterval(beat);
      this.#streams.delete(res);
    });
  }

  /** Sends one event to every attached stream. */
  send(code: string, action: "Start" | "Stop" | "Pulse", index: number, data?: Record<string, unknown>): void {
    const text = `Code=${code};action=${action};index=${index}${data ? `;data=${JSON.stringify(data, null, 3)}` : ""}`;
    for (const res of this.#streams) this.#write(res, text);
  }

  /** Writes raw bytes on every stream (what a broken firmware might send). */
  sendRaw(bytes: string): void {
    for (const res of this.#streams) res.write(bytes);
  }

  /** Cuts every stream, as a device reboot or a network drop would. */
  drop(): void {
    for (const res of this.#streams) res.socket?.destroy();
  }

  /** A hung device: streams stay open but nothing more is written, not even heartbeats, until `thaw`. */
  freeze(): void {
    this.#frozen = true;
  }
  thaw(): void {
    this.#frozen = false;
  }

  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #write(res: ServerResponse, text: string): void {
    if (this.#frozen) return;
    const body = Buffer.from(text, "utf8");
    // the firmware writes Content-Length without a space after the colon
    res.write(Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/plain\r\nContent-Length:${body.length}\r\n\r\n`), body, Buffer.from("\r\n\r\n")]));
  }

  #challenge(res: ServerResponse): void {
    const nonce = randomBytes(16).toString("hex");
    this.#nonces.add(nonce);
    res.writeHead(401, {
      "www-authenticate": `Digest realm="${this.#realm}", qop="auth", nonce="${nonce}", opaque="${randomBytes(20).toString("hex")}"`,
      "content-type": "text/plain",
      connection: "close",
    });
    res.end("Error\r\nInvalid Authority!\r\n");
  }

  #authorised(req: IncomingMessage): boolean {
    const p = parseDigest(req.headers.authorization);
    if (!p) return false;
    const { username, realm, nonce, uri, response, nc, cnonce, qop } = p;
    if (!username || !nonce || !uri || !response || !nc || !cnonce || qop !== "auth" || realm !== this.#realm || !this.#nonces.has(nonce) || uri !== req.url) {
      this.#refused++;
      return false;
    }
    const ha1 = digestHash("MD5", `${this.options.user}:${realm}:${this.options.password}`);
    const expected = digestHash("MD5", `${ha1}:${nonce}:${nc}:${cnonce}:auth:${digestHash("MD5", `GET:${uri}`)}`);
    const ok = username === this.options.user && response.length === expected.length && timingSafeEqual(Buffer.from(response), Buffer.from(expected));
    if (!ok) this.#refused++;
    return ok;
  }
}
