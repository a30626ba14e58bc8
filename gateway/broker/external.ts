import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import type { InboundMessage, MqttLink, PublishOptions } from "./link.ts";

export interface ExternalOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** retained status topic: `online` now, `offline` as the last will */
  statusTopic: string;
  /** MQTT 5 shared-subscription group, so a broker cluster splits traffic between gateways */
  shareGroup?: string | undefined;
}

/** Matches a topic against an MQTT filter with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** An external broker (Mosquitto, EMQX) through mqtt.js, MQTT 5 so user properties come through. */
export class ExternalBroker implements MqttLink {
  readonly #handlers = new Map<string, Set<(m: InboundMessage) => void>>();

  private constructor(
    private readonly client: MqttClient,
    private readonly shareGroup: string | undefined,
  ) {
    client.on("message", (topic, payload, packet) => {
      const userProperties = packet.properties?.userProperties;
      for (const [filter, handlers] of this.#handlers) {
        if (!topicMatches(filter, topic)) continue;
        for (const h of handlers) h({ topic, payload, ...(userProperties ? { userProperties } : {}) });
      }
    });
  }

  static async connect(options: ExternalOptions): Promise<ExternalBroker> {
    const opts: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      will: { topic: options.statusTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    };
    const client = await connectAsync(options.url, opts);
    return new ExternalBroker(client, options.shareGroup);
  }

  async subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<() => Promise<void>> {
    let set = this.#handlers.get(filter);
    const wire = this.shareGroup ? `$share/${this.shareGroup}/${filter}` : filter;
    if (!set) {
      set = new Set();
      this.#handlers.set(filter, set);
      await this.client.subscribeAsync(wire, { qos: 1 });
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0) {
        this.#handlers.delete(filter);
        await this.client.unsubscribeAsync(wire);
      }
    };
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: options.qos ?? 0, retain: options.retain ?? false });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
