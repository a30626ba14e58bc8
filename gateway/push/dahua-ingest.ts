import { Counter, Gauge } from "prom-client";
import type { Core } from "../core.ts";
import type { RejectReason } from "../events.ts";
import type { IngestCounters, IngestPipeline } from "../ingest/pipeline.ts";
import { deviceTopic, gatewayTopic } from "../ingest/topic.ts";
import { DahuaAttach, type AttachFault } from "./dahua-attach.ts";
import type { DahuaDeviceConfig } from "./dahua-config.ts";
import { mapDahuaEvent } from "./dahua-map.ts";
import type { DahuaPart } from "./dahua-stream.ts";

/**
 * `dahua.status`: a Dahua device's event stream came up (online) or went down (offline: refused,
 * wrong password, wrong URL, dropped, stalled), with why and when the next try is.
 */
export interface DahuaStatus {
  site: string;
  deviceId: string;
  ts: number;
  state: "online" | "offline";
  fault?: AttachFault;
  detail: string;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "dahua.status": DahuaStatus;
  }
}

/** A heartbeat a minute at most reaches InfluxDB, as MQTT devices send theirs; the 5 s heartbeats only keep the stream alive. */
const HEARTBEAT_EVERY_MS = 60_000;
const MAX_PART_BYTES = 256 * 1024;

/**
 * The Dahua devices of `push.dahua.devices`: the gateway attaches to each one's event stream and
 * hands every mapped event to an IngestPipeline built like the MQTT router's (same counters, the
 * shared duplicate memory), as if it had arrived on `linli/<site>/<kind>/<id>/event`; a rejected
 * one is counted and published on the rejected topic as a bad MQTT message is. Heartbeats become
 * the device's `status` heartbeat, once a minute, so a silent device is noticed like any other.
 */
export class DahuaIngest {
  readonly #pipeline: IngestPipeline;
  readonly #attached: DahuaAttach[] = [];
  readonly #metrics;

  constructor(
    private readonly core: Core,
    /** the gateway's one pipeline, shared with MQTT and push */
    pipeline: IngestPipeline,
    private readonly counters: IngestCounters,
  ) {
    this.#pipeline = pipeline;
    const registers = [core.metrics];
    this.#metrics = {
      up: new Gauge({ name: "linli_dahua_up", help: "1 while the Dahua device's event stream is attached, 0 while it is down", labelNames: ["device"], registers }),
      faults: new Counter({ name: "linli_dahua_faults_total", help: "Dahua event stream faults, each followed by a reconnect: unreachable, unauthorized, http_status, not_multipart, dropped, stalled", labelNames: ["device", "fault"], registers }),
      parts: new Counter({ name: "linli_dahua_parts_total", help: "Dahua event stream parts: heartbeat, event (handed to ingest), ignored (a code linli does not take), malformed", labelNames: ["device", "outcome"], registers }),
    };
  }

  start(): void {
    const { dahua } = this.core.config.push;
    for (const device of dahua.devices) {
      this.#metrics.up.set({ device: device.id }, 0);
      const attach = new DahuaAttach(
        device,
        { heartbeatS: dahua.heartbeatS, staleMs: dahua.staleMs, backoff: dahua.backoff, maxPartBytes: MAX_PART_BYTES },
        this.#handlers(device),
        this.core.log.child({ part: "dahua", device: device.id }),
      );
      this.#attached.push(attach);
      attach.start();
    }
  }

  stop(): void {
    for (const a of this.#attached.splice(0)) a.stop();
    for (const name of ["linli_dahua_up", "linli_dahua_faults_total", "linli_dahua_parts_total"]) this.core.metrics.removeSingleMetric(name);
  }

  #handlers(device: DahuaDeviceConfig) {
    const { site } = this.core.config;
    let attachedAt = Date.now();
    let heartbeatAt = -Infinity;
    return {
      state: (state: "online" | "offline", detail: string, fault?: AttachFault) => {
        this.#metrics.up.set({ device: device.id }, state === "online" ? 1 : 0);
        if (fault) this.#metrics.faults.inc({ device: device.id, fault });
        if (state === "online") attachedAt = Date.now();
        this.core.bus.emit("dahua.status", { site, deviceId: device.id, ts: Date.now(), state, detail, ...(fault ? { fault } : {}) });
      },
      part: (part: DahuaPart) => {
        if (part.kind === "heartbeat") {
          this.#metrics.parts.inc({ device: device.id, outcome: "heartbeat" });
          const now = Date.now();
          if (now - heartbeatAt < HEARTBEAT_EVERY_MS) return;
          heartbeatAt = now;
          // the stream's uptime: Dahua's heartbeat does not say the device's
          return this.#ingest(device, "status", { uptimeS: Math.round((now - attachedAt) / 1000) });
        }
        if (part.kind === "malformed") {
          this.#metrics.parts.inc({ device: device.id, outcome: "malformed" });
          this.counters.rejected("malformed_json");
          return this.#rejected(this.#topic(device, "event"), "malformed_json", part.detail);
        }
        const mapped = mapDahuaEvent(part, { deviceId: device.id, kind: device.kind, building: device.building, config: this.core.config.push.dahua });
        if (mapped.kind === "ignored") {
          this.#metrics.parts.inc({ device: device.id, outcome: "ignored" });
          return this.core.log.debug({ device: device.id, reason: mapped.reason }, "Dahua event ignored");
        }
        this.#metrics.parts.inc({ device: device.id, outcome: "event" });
        this.#ingest(device, "event", mapped.payload);
      },
    };
  }

  #topic(device: DahuaDeviceConfig, channel: string): string {
    return deviceTopic({ site: this.core.config.site, kind: device.kind, deviceId: device.id, channel });
  }

  #ingest(device: DahuaDeviceConfig, channel: string, payload: Record<string, unknown>): void {
    const topic = this.#topic(device, channel);
    const outcome = this.#pipeline.accept({ topic, payload: Buffer.from(JSON.stringify(payload)) });
    if (outcome.status === "rejected") return this.#rejected(topic, outcome.reason, outcome.detail);
    if (outcome.status !== "accepted") return;
    for (const point of outcome.points) this.core.writePoint(point);
    this.core.bus.emit("device.event", outcome.event);
  }

  #rejected(topic: string, reason: RejectReason, detail: string): void {
    const rejection = { topic, reason, detail, receivedAt: Date.now() };
    this.core.log.debug(rejection, "Dahua event rejected");
    this.core.bus.emit("device.rejected", rejection);
    this.core.mqtt.publish(gatewayTopic(this.core.config.site, "rejected"), JSON.stringify(rejection)).catch(() => {});
  }
}
