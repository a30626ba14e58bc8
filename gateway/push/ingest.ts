import { createHash, timingSafeEqual } from "node:crypto";
import { statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import busboy from "busboy";
import { Counter } from "prom-client";
import type { DeviceKind, PointContext } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import type { RejectReason } from "../events.ts";
import { sendJson } from "../http/routes.ts";
import { IngestPipeline, type IngestCounters } from "../ingest/pipeline.ts";
import { deviceTopic, gatewayTopic } from "../ingest/topic.ts";
import { hashPassword, verifyPassword } from "../security/password.ts";
import { DeviceRegistry } from "../security/registry.ts";
import { AllowList } from "./allow.ts";
import { mapAlert, MalformedAlert, parseAlert } from "./hikvision.ts";

export type PushOutcome = "accepted" | "duplicate" | "ignored" | "unauthorized" | "forbidden" | "oversize" | "malformed" | "rejected";

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly outcome: PushOutcome,
    message: string,
  ) {
    super(message);
  }
}

interface Body {
  alert: Buffer;
  /** part name or file name -> bytes, JPEG parts only */
  pictures: Map<string, Buffer>;
}

/** Reads a raw or multipart body, refusing (413) as soon as the bytes received pass `maxBytes`. */
export function readPush(req: IncomingMessage, maxBytes: number): Promise<Body> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) return Promise.reject(new Refusal(413, "oversize", `${declared} bytes > ${maxBytes}`));
  return new Promise<Body>((resolve, reject) => {
    let size = 0;
    let done = false;
    const fail = (r: Refusal) => {
      if (done) return;
      done = true;
      req.unpipe();
      req.resume(); // let the rest drain so the client reads the answer
      reject(r);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new Refusal(413, "oversize", `over ${maxBytes} bytes`));
    });
    req.on("error", (err) => fail(new Refusal(400, "malformed", err.message)));
    const type = req.headers["content-type"] ?? "";
    if (!/^multipart\/form-data/i.test(type)) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => {
        if (!done) chunks.push(c);
      });
      req.on("end", () => {
        if (done) return;
        done = true;
        resolve({ alert: Buffer.concat(chunks), pictures: new Map() });
      });
      return;
    }
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fieldSize: maxBytes, fileSize: maxBytes, files: 16, fields: 16, parts: 32 } });
    } catch (err) {
      fail(new Refusal(400, "malformed", (err as Error).message));
      return;
    }
    let alert: Buffer | undefined;
    const pictures = new Map<string, Buffer>();
    const isAlert = (name: string, mime: string, bytes: Buffer) => /xml|json/i.test(mime) || /\.(xml|json)$/i.test(name) || /^\s*[<{]/.test(bytes.subarray(0, 64).toString("latin1"));
    bb.on("field", (name, value, info) => {
      const bytes = Buffer.from(value, "utf8");
      if (alert === undefined && isAlert(name, info.mimeType, bytes)) alert = bytes;
    });
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const bytes = Buffer.concat(chunks);
        const fileName = info.filename || name;
        if (/image\/jpe?g/i.test(info.mimeType) || /\.jpe?g$/i.test(fileName) || (bytes[0] === 0xff && bytes[1] === 0xd8)) pictures.set(fileName, bytes);
        else if (alert === undefined && isAlert(fileName, info.mimeType, bytes)) alert = bytes;
      });
    });
    bb.on("error", (err) => fail(new Refusal(400, "malformed", `multipart: ${(err as Error).message}`)));
    bb.on("close", () => {
      if (done) return;
      done = true;
      if (alert === undefined) reject(new Refusal(400, "malformed", "no EventNotificationAlert part"));
      else resolve({ alert, pictures });
    });
    req.pipe(bb);
  });
}

/** `Authorization: Basic` -> user and password. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1] as string, "base64").toString("utf8");
  const i = text.indexOf(":");
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

let dummyHash: Promise<string> | undefined;

/**
 * HTTP push ingest: devices that POST their events (Hikvision ISAPI "HTTP listening") are
 * authenticated against the device registry, their event mapped to linli's canonical payload and
 * handed to an IngestPipeline built with the router's options and counters, as if it had arrived
 * on `linli/<site>/gate/<deviceId>/event`; its outcome is handled as the router handles it.
 */
export class PushIngest {
  readonly #pipeline: IngestPipeline;
  readonly #allow: AllowList;
  readonly #requests: Counter<"vendor" | "outcome">;
  readonly #counters: IngestCounters;
  #registry: { path: string; mtimeMs: number; registry: DeviceRegistry } | undefined;
  /** device id -> digest of a password that verified against this hash */
  readonly #verified = new Map<string, { hash: string; digest: Buffer }>();
  #off: (() => void) | undefined;

  constructor(
    private readonly core: Core,
    kinds: readonly DeviceKind[],
    counters: IngestCounters,
    pointContext: PointContext,
  ) {
    const { site, ingest } = core.config;
    this.#counters = counters;
    this.#pipeline = new IngestPipeline(kinds, { site, maxClockSkewMs: ingest.maxClockSkewMs, dedupWindow: ingest.dedupWindow, maxBytes: ingest.maxBytes, pointContext, counters });
    this.#allow = new AllowList(core.config.push.allow);
    this.#requests = (core.metrics.getSingleMetric("linli_push_requests_total") as Counter<"vendor" | "outcome"> | undefined) ??
      new Counter({ name: "linli_push_requests_total", help: "HTTP push requests (gateway/push) by outcome", labelNames: ["vendor", "outcome"], registers: [core.metrics] });
  }

  start(): void {
    const path = this.core.config.push.hikvision.path;
    this.#off = this.core.http.add("POST", path, (req, res) => this.#hikvision(req, res));
    if (!this.core.config.security.registry) this.core.log.warn("push is enabled without security.registry: every push is refused (401)");
  }

  stop(): void {
    this.#off?.();
    this.#off = undefined;
  }

  allows(address: string | undefined): boolean {
    return this.#allow.allows(address);
  }

  #registryNow(): DeviceRegistry | undefined {
    const path = this.core.config.security.registry;
    if (!path) return undefined;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch (err) {
      this.core.log.warn({ err, path }, "device registry unreadable: push refused");
      return undefined;
    }
    if (!this.#registry || this.#registry.path !== path || this.#registry.mtimeMs !== mtimeMs) this.#registry = { path, mtimeMs, registry: DeviceRegistry.load(path) };
    return this.#registry.registry;
  }

  /** The gate device the request authenticates as; throws a 401/403 Refusal. */
  async #authenticate(req: IncomingMessage): Promise<string> {
    const creds = basicCredentials(req.headers.authorization);
    if (!creds) throw new Refusal(401, "unauthorized", "no Basic credentials");
    const entry = this.#registryNow()?.get(creds.user);
    if (!entry || entry.type !== "device" || !entry.password || entry.disabled) {
      dummyHash ??= hashPassword("linli-push-dummy");
      await verifyPassword(creds.password, await dummyHash); // as slow as a known id
      throw new Refusal(401, "unauthorized", `unknown or disabled device ${creds.user}`);
    }
    const digest = createHash("sha256").update(entry.id).update("\0").update(creds.password).digest();
    const cached = this.#verified.get(entry.id);
    if (!(cached && cached.hash === entry.password && timingSafeEqual(cached.digest, digest))) {
      if (!(await verifyPassword(creds.password, entry.password))) throw new Refusal(401, "unauthorized", `bad password for ${entry.id}`);
      this.#verified.set(entry.id, { hash: entry.password, digest });
    }
    if (entry.site !== this.core.config.site || entry.kind !== "gate") throw new Refusal(403, "forbidden", `${entry.id} is not a gate of site ${this.core.config.site}`);
    return entry.id;
  }

  #rejected(topic: string, reason: RejectReason, detail: string): void {
    const rejection = { topic, reason, detail, receivedAt: Date.now() };
    this.core.log.debug(rejection, "push rejected");
    this.core.bus.emit("device.rejected", rejection);
    this.core.mqtt.publish(gatewayTopic(this.core.config.site, "rejected"), JSON.stringify(rejection)).catch(() => {});
  }

  async #hikvision(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const vendor = "hikvision";
    const answer = (status: number, outcome: PushOutcome, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.#requests.inc({ vendor, outcome });
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      sendJson(res, status, { status: outcome, ...body });
    };
    let topic = `push/${vendor}`;
    try {
      if (!this.#allow.allows(req.socket.remoteAddress)) throw new Refusal(403, "forbidden", `address ${req.socket.remoteAddress} not in push.allow`);
      const deviceId = await this.#authenticate(req);
      topic = deviceTopic({ site: this.core.config.site, kind: "gate", deviceId, channel: "event" });
      const body = await readPush(req, this.core.config.push.maxBytes).catch((err: unknown) => {
        if (err instanceof Refusal && err.outcome === "oversize") {
          this.#counters.rejected("oversize");
          this.#rejected(topic, "oversize", err.message);
        }
        throw err;
      });
      let alert;
      try {
        alert = parseAlert(body.alert);
      } catch (err) {
        if (err instanceof MalformedAlert) throw new Refusal(400, "malformed", err.message);
        throw err;
      }
      const mapped = mapAlert(alert, { deviceId, config: this.core.config.push.hikvision });
      if (mapped.kind === "ignored") return answer(200, "ignored", { eventType: mapped.eventType });

      const outcome = this.#pipeline.accept({ topic, payload: Buffer.from(JSON.stringify(mapped.payload)) });
      if (outcome.status === "ignored") return answer(200, "ignored", {});
      if (outcome.status === "rejected") {
        this.#rejected(topic, outcome.reason, outcome.detail);
        // a duplicate was received before: 200, or the camera sends it again and again
        if (outcome.reason === "duplicate") return answer(200, "duplicate", { detail: outcome.detail });
        return answer(400, "rejected", { reason: outcome.reason, detail: outcome.detail });
      }
      const eventId = String(mapped.payload.eventId);
      const evidence = [...body.pictures].map(([name, bytes]) => {
        const r = this.core.evidence.put(bytes, { source: `push/${vendor}/${name}`, subject: `gate/${deviceId}/${eventId}`, mime: "image/jpeg" });
        return { name, id: r.id, sha256: r.sha256 };
      });
      for (const point of outcome.points) this.core.writePoint(point);
      this.core.bus.emit("device.event", outcome.event);
      return answer(200, "accepted", { eventId, evidence });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.core.log.debug({ topic, outcome: err.outcome, detail: err.message }, "push refused");
      if (err.status === 413 || err.status === 400) res.setHeader("connection", "close");
      return answer(err.status, err.outcome, { detail: err.message }, err.status === 401 ? { "www-authenticate": 'Basic realm="linli"' } : {});
    }
  }
}
