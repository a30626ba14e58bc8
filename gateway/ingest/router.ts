import type { DeviceEvent } from "../../devices/types.ts";
import type { InboundMessage } from "../broker/link.ts";
import type { Core } from "../core.ts";
import type { Rejection } from "../events.ts";
import type { Feature } from "../feature.ts";
import type { Point } from "../influx/point.ts";
import type { IngestPipeline } from "./pipeline.ts";
import { gatewayTopic, siteDeviceFilter } from "./topic.ts";

/** Events held for the features while they start; past this, the oldest go (their points do not). */
const MAX_HELD_EVENTS = 50_000;

type Held = { name: "device.event"; payload: DeviceEvent } | { name: "device.rejected"; payload: Rejection };

/**
 * Feeds every device message of the site through the ingest pipeline, which counts them: accepted
 * events go onto the bus and their points to the spool, and a QoS 1 message is acknowledged only
 * once its points are committed there (`commit`); rejects are logged at debug, put on the bus and
 * published to `linli/<site>/gateway/rejected` so an installer can watch what a device gets wrong.
 *
 * It consumes from the moment the broker link is up, before the features start, so the backlog a
 * persistent session delivers at connect is taken and acknowledged; the bus events of that time
 * are held until `open()`, when every feature listens.
 */
export class IngestRouter implements Feature {
  readonly name = "ingest";
  #held: Held[] | undefined = [];
  #heldDropped = 0;
  #stopped = false;

  constructor(
    private readonly core: Core,
    /** the gateway's one pipeline, shared with HTTP push: one duplicate memory for every path */
    private readonly pipeline: IngestPipeline,
    /** resolves once the points are on disk; rejects when the spool cannot take them */
    private readonly commit: (points: readonly Point[]) => Promise<void>,
  ) {}

  async start(): Promise<void> {
    // never unsubscribed: a persistent session keeps the subscription, so the broker queues for it
    await this.core.mqtt.consume(siteDeviceFilter(this.core.config.site), (message) => this.#take(message));
  }

  /** The features listen now: hand them what was held, and emit directly from here on. */
  open(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (this.#heldDropped > 0) this.core.log.warn({ dropped: this.#heldDropped }, "events received while the features started were dropped (their points were kept)");
    for (const h of held) this.#emit(h);
  }

  #take(message: InboundMessage): Promise<void> | undefined {
    // stopping: the spool closes next, so the sender keeps the message for the next run
    if (this.#stopped) return Promise.reject(new Error("the gateway is stopping"));
    const outcome = this.pipeline.accept(message);
    if (outcome.status === "ignored") return undefined;
    if (outcome.status === "rejected") {
      const rejection = { topic: message.topic, reason: outcome.reason, detail: outcome.detail, receivedAt: Date.now() };
      this.core.log.debug(rejection, "message rejected");
      this.#emit({ name: "device.rejected", payload: rejection });
      this.core.mqtt.publish(gatewayTopic(this.core.config.site, "rejected"), JSON.stringify(rejection)).catch(() => {});
      // acknowledged: sending the same bytes again cannot make them acceptable
      return undefined;
    }
    const committed = this.commit(outcome.points);
    // features (alerts, the lift guard) act now; only the device's acknowledgement waits for the disk
    this.#emit({ name: "device.event", payload: outcome.event });
    const { dedupKey } = outcome;
    if (dedupKey === undefined) return committed;
    return committed.catch((err: unknown) => {
      // the device sends it again, and that resend must be taken, not refused as a duplicate
      this.pipeline.forget(dedupKey);
      throw err;
    });
  }

  #emit(h: Held): void {
    if (!this.#held) {
      if (h.name === "device.event") this.core.bus.emit(h.name, h.payload);
      else this.core.bus.emit(h.name, h.payload);
      return;
    }
    this.#held.push(h);
    if (this.#held.length > MAX_HELD_EVENTS) {
      this.#held.shift();
      this.#heldDropped++;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
  }
}
