import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter } from "prom-client";
import type { DeviceEvent } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import { sha256Hex } from "../evidence/store.ts";
import type { RejectReason } from "../events.ts";
import { sendJson } from "../http/routes.ts";
import type { Point } from "../influx/point.ts";
import type { IngestCounters, IngestPipeline } from "../ingest/pipeline.ts";
import { deviceTopic, gatewayTopic } from "../ingest/topic.ts";
import type { DeviceEntry } from "../security/registry.ts";
import { AllowList } from "./allow.ts";
import { dahuaResult, readUpload } from "./dahua-upload.ts";
import { PushAuth } from "./auth.ts";
import { mapAlert, MalformedAlert, parseAlert, type Snapshot } from "./hikvision.ts";
import { hikvisionStatus } from "./hikvision-answer.ts";
import { readPush, type PushBody } from "./read-push.ts";
import { Refusal, type PushOutcome } from "./refusal.ts";
import { MalformedWebhook, WebhookMapping } from "./webhook.ts";

/** What a handler decided: the HTTP status, the outcome counted, and the answer's fields. */
interface Answer {
  status: number;
  outcome: PushOutcome;
  body: Record<string, unknown>;
}

/** How a vendor's device wants its answer written (Hikvision: a ResponseStatus, or it resends). */
type Writer = (res: ServerResponse, req: IncomingMessage, answer: Answer) => void;

const writeJson: Writer = (res, _req, a) => sendJson(res, a.status, { status: a.outcome, ...a.body });

/**
 * HTTP push ingest: devices that POST their events (Hikvision ISAPI "HTTP listening", generic JSON
 * webhooks) are checked against the address allow-list, logged in against the device registry
 * (Basic or Digest), their event mapped to linli's canonical payload and handed to an
 * the gateway's one IngestPipeline, the router's (so one duplicate memory), as if it had
 * arrived on `linli/<site>/<kind>/<deviceId>/<channel>`; its outcome is handled as the router
 * handles it, and the pictures it carried go to the evidence store.
 */
export class PushIngest {
  readonly #pipeline: IngestPipeline;
  readonly #allow: AllowList;
  readonly #auth: PushAuth;
  readonly #requests: Counter<"vendor" | "outcome">;
  readonly #counters: IngestCounters;
  readonly #offs: Array<() => void> = [];

  constructor(
    private readonly core: Core,
    /** the gateway's one pipeline, shared with MQTT: an event pushed and published is one event */
    pipeline: IngestPipeline,
    counters: IngestCounters,
    /** resolves once the points are on disk (the answer waits for it); rejects when the spool cannot take them */
    private readonly commit: (points: readonly Point[]) => Promise<void>,
  ) {
    const { push } = core.config;
    this.#counters = counters;
    this.#pipeline = pipeline;
    this.#allow = new AllowList(push.allow);
    this.#auth = new PushAuth(() => core.config.security.registry, push.digest, core.log);
    this.#requests = (core.metrics.getSingleMetric("linli_push_requests_total") as Counter<"vendor" | "outcome"> | undefined) ??
      new Counter({ name: "linli_push_requests_total", help: "HTTP push requests (gateway/push) by outcome", labelNames: ["vendor", "outcome"], registers: [core.metrics] });
  }

  start(): void {
    const { push } = this.core.config;
    this.#offs.push(this.core.http.add("POST", push.hikvision.path, (req, res) => this.#serve("hikvision", req, res, hikvisionStatus, (device, body) => this.#hikvision(device, body))));
    for (const [name, config] of Object.entries(push.webhooks)) {
      const mapping = new WebhookMapping(config);
      this.#offs.push(this.core.http.add("POST", `/push/webhook/${name}`, (req, res) => this.#serve(`webhook/${name}`, req, res, writeJson, (device, body) => this.#webhook(mapping, device, body))));
    }
    // an ITC camera is given the platform address and appends /NotificationInfo/TollgateInfo (or KeepAlive)
    const serveDahua = (req: IncomingMessage, res: ServerResponse) => this.#serve("dahua", req, res, dahuaResult, (device, body) => this.#dahua(device, body));
    this.#offs.push(this.core.http.add("POST", push.dahua.upload.path, serveDahua), this.core.http.add("POST", `${push.dahua.upload.path}/*`, serveDahua));
    if (!this.core.config.security.registry) this.core.log.warn("push is enabled without security.registry: every push is refused (401)");
  }

  stop(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  /** The steps every push takes: address, login, site, body; then the vendor's handler. */
  async #serve(vendor: string, req: IncomingMessage, res: ServerResponse, write: Writer, handle: (device: DeviceEntry, body: PushBody) => Answer | Promise<Answer>): Promise<void> {
    const answer = (a: Answer, headers: Readonly<Record<string, string | string[]>> = {}) => {
      this.#requests.inc({ vendor, outcome: a.outcome });
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      write(res, req, a);
    };
    let topic = `push/${vendor}`;
    try {
      if (!this.#allow.allows(req.socket.remoteAddress)) throw new Refusal(403, "forbidden", `address ${req.socket.remoteAddress} not in push.allow`);
      const device = await this.#auth.authenticate(req);
      if (device.site !== this.core.config.site) throw new Refusal(403, "forbidden", `${device.id} is not a device of site ${this.core.config.site}`);
      topic = deviceTopic({ site: device.site, kind: device.kind, deviceId: device.id, channel: "event" });
      const body = await readPush(req, this.core.config.push.maxBytes).catch((err: unknown) => {
        if (err instanceof Refusal && err.outcome === "oversize") {
          this.#counters.rejected("oversize");
          this.#rejected(topic, "oversize", err.message);
        }
        throw err;
      });
      answer(await handle(device, body));
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.core.log.debug({ topic, outcome: err.outcome, detail: err.message }, "push refused");
      if (err.status === 413 || err.status === 400) res.setHeader("connection", "close");
      answer({ status: err.status, outcome: err.outcome, body: { detail: err.message } }, err.headers);
    }
  }

  #hikvision(device: DeviceEntry, body: PushBody): Answer | Promise<Answer> {
    if (device.kind !== "gate" && device.kind !== "throw") throw new Refusal(403, "forbidden", `${device.id} is a ${device.kind}: Hikvision pushes are taken from gates and throw cameras`);
    let alert;
    try {
      alert = parseAlert(body.alert);
    } catch (err) {
      if (err instanceof MalformedAlert) throw new Refusal(400, "malformed", err.message);
      throw err;
    }
    const mapped = mapAlert(alert, device.kind, { deviceId: device.id, config: this.core.config.push.hikvision });
    if (mapped.kind === "heartbeat") {
      this.#alive(device);
      return { status: 200, outcome: "heartbeat", body: { eventType: mapped.eventType } };
    }
    if (mapped.kind === "ignored") return { status: 200, outcome: "ignored", body: { eventType: mapped.eventType } };
    return this.#deliver(device, "event", mapped.payload, body.pictures, mapped.snapshot);
  }

  #dahua(device: DeviceEntry, body: PushBody): Answer | Promise<Answer> {
    if (device.kind !== "gate") throw new Refusal(403, "forbidden", `${device.id} is a ${device.kind}: Dahua ITC uploads are taken from gates`);
    const upload = readUpload(body.alert, { deviceId: device.id, config: this.core.config.push.dahua });
    if (upload.kind === "heartbeat") {
      this.#alive(device);
      return { status: 200, outcome: "heartbeat", body: {} };
    }
    return this.#deliver(device, "event", upload.payload, upload.pictures, upload.snapshot);
  }

  #webhook(mapping: WebhookMapping, device: DeviceEntry, body: PushBody): Answer | Promise<Answer> {
    let message;
    try {
      message = mapping.map(body.alert);
    } catch (err) {
      if (err instanceof MalformedWebhook) throw new Refusal(400, "malformed", err.message);
      throw err;
    }
    if (message.kind !== device.kind) throw new Refusal(403, "forbidden", `${device.id} is a ${device.kind}, the webhook's message is for a ${message.kind}`);
    return this.#deliver(device, message.channel, message.payload, body.pictures);
  }

  /**
   * Hands a canonical payload to the pipeline; keeps the pictures of an accepted event. The device
   * hears 200 only once the points are on disk: a 503 instead (the spool refuses them) makes it
   * keep the event and send it again, as it does when the gateway is unreachable.
   */
  async #deliver(device: DeviceEntry, channel: string, payload: Record<string, unknown>, pictures: ReadonlyMap<string, Buffer>, snapshot?: Snapshot): Promise<Answer> {
    const topic = deviceTopic({ site: device.site, kind: device.kind, deviceId: device.id, channel });
    const shot = snapshot?.pick([...pictures.keys()]);
    const shotBytes = shot === undefined ? undefined : pictures.get(shot);
    // the id is the picture's digest: known before the event is accepted, stored only after
    if (snapshot && shotBytes) payload.snapshot = snapshot.ref(sha256Hex(shotBytes));
    const outcome = this.#pipeline.accept({ topic, payload: Buffer.from(JSON.stringify(payload)) });
    if (outcome.status === "ignored") return { status: 200, outcome: "ignored", body: {} };
    if (outcome.status === "rejected") {
      this.#rejected(topic, outcome.reason, outcome.detail);
      // a duplicate was received before: 200, or the device sends it again and again
      if (outcome.reason === "duplicate") return { status: 200, outcome: "duplicate", body: { detail: outcome.detail } };
      return { status: 400, outcome: "rejected", body: { reason: outcome.reason, detail: outcome.detail } };
    }
    const eventId = String(payload.eventId ?? "");
    let evidence;
    try {
      evidence = [...pictures].map(([name, bytes]) => {
        const r = this.core.evidence.put(bytes, { source: `push/${device.kind}/${device.id}/${name}`, subject: `${device.kind}/${device.id}/${eventId}`, mime: "image/jpeg" });
        return { name, id: r.id, sha256: r.sha256 };
      });
    } catch (err) {
      // pictures not kept (disk full, ...): the 500 makes the device resend, which must not be a duplicate
      if (outcome.dedupKey) this.#pipeline.forget(outcome.dedupKey);
      throw err;
    }
    const committed = this.commit(outcome.points);
    this.core.bus.emit("device.event", outcome.event);
    try {
      await committed;
    } catch (err) {
      if (outcome.dedupKey) this.#pipeline.forget(outcome.dedupKey);
      throw new Refusal(503, "backpressure", (err as Error).message, { "retry-after": "30" });
    }
    return { status: 200, outcome: "accepted", body: { eventId, evidence } };
  }

  /**
   * A heartbeat says the device is alive and nothing else: it goes onto the bus as a `status`
   * event without data and writes no point (an ISAPI heartbeat carries no uptime for the
   * `device_heartbeat` measurement), so the alerts' silence watcher hears the device.
   */
  #alive(device: DeviceEntry): void {
    const now = Date.now();
    const event: DeviceEvent = { site: device.site, kind: device.kind, deviceId: device.id, channel: "status", ts: now, receivedAt: now, data: {} };
    this.core.bus.emit("device.event", event);
  }

  #rejected(topic: string, reason: RejectReason, detail: string): void {
    const rejection = { topic, reason, detail, receivedAt: Date.now() };
    this.core.log.debug(rejection, "push rejected");
    this.core.bus.emit("device.rejected", rejection);
    this.core.mqtt.publish(gatewayTopic(this.core.config.site, "rejected"), JSON.stringify(rejection)).catch(() => {});
  }
}
