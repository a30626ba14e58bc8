import type { Logger } from "pino";
import type { MqttLink } from "../broker/link.ts";
import { availabilityTopic } from "../ingest/topic.ts";
import type { StateChange } from "./roster.ts";

/**
 * Publishes each device's state to its retained `linli/<site>/<kind>/<id>/availability` (`online` /
 * `offline`, QoS 1), so other systems (Home Assistant, a vendor platform) learn it by subscribing.
 * A publish that fails (an external broker away) is tried again at the next `retry()`, newest state
 * only: the retained message must end as the state the gateway holds.
 */
export class AvailabilityPublisher {
  /** topic -> state still to be published */
  readonly #failed = new Map<string, StateChange["state"]>();
  /** topic -> the state most recently asked for, so a late failure of an older publish is not retried */
  readonly #latest = new Map<string, StateChange["state"]>();

  constructor(
    private readonly mqtt: MqttLink,
    private readonly site: string,
    private readonly log: Logger,
  ) {}

  publish(change: StateChange): void {
    this.#send(availabilityTopic(this.site, change.kind, change.id), change.state);
  }

  retry(): void {
    const failed = [...this.#failed];
    this.#failed.clear();
    for (const [topic, state] of failed) this.#send(topic, state);
  }

  #send(topic: string, state: StateChange["state"]): void {
    this.#latest.set(topic, state);
    this.mqtt.publish(topic, state, { qos: 1, retain: true }).catch((err: unknown) => {
      if (this.#latest.get(topic) !== state) return;
      this.#failed.set(topic, state);
      this.log.warn({ err, topic, state }, "device availability not published; trying again at the next check");
    });
  }
}
