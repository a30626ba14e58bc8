import { connect, type IClientOptions, type MqttClient } from "mqtt";
import { Consumers, topicMatches } from "./consumers.ts";
import type { Consumer, InboundMessage, MqttLink, PublishOptions } from "./link.ts";

export interface ExternalOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** retained status topic: `online` now, `offline` as the last will */
  statusTopic: string;
  /** MQTT 5 shared-subscription group, so a broker cluster splits traffic between gateways */
  shareGroup?: string | undefined;
  /**
   * How long the broker keeps the gateway's session (its subscriptions and the QoS 1 messages
   * sent meanwhile) while the gateway is away; 0 (the default): a clean session, dropped at disconnect.
   */
  sessionExpirySec?: number;
  /** hold messages that arrive before the first consumer (the gateway's ingest) until it is there */
  awaitConsumer?: boolean;
}

/**
 * An external broker (Mosquitto, EMQX) through mqtt.js, MQTT 5 so user properties come through.
 * The session is persistent (clean start off, a session expiry, the configured stable client id):
 * the broker queues the site's QoS 1 messages while the gateway restarts. A consumed message's
 * PUBACK waits for its consumer (mqtt.js' handleMessage hook); a consumer that fails drops the
 * connection unacknowledged, and the broker delivers the message again on the next connection.
 */
export class ExternalBroker implements MqttLink {
  readonly #handlers = new Map<string, Set<(m: InboundMessage) => void>>();
  readonly #consumers: Consumers;
  /** what each delivered packet's acknowledgement waits for, set by the 'message' listener */
  readonly #settling = new WeakMap<object, Promise<void>>();

  private constructor(
    private readonly client: MqttClient,
    private readonly shareGroup: string | undefined,
    awaitConsumer: boolean,
  ) {
    this.#consumers = new Consumers(awaitConsumer);
    client.on("message", (topic, payload, packet) => {
      const userProperties = packet.properties?.userProperties;
      const message: InboundMessage = { topic, payload, ...(userProperties ? { userProperties } : {}) };
      const consumed = this.#consumers.deliver(message);
      if (consumed) this.#settling.set(packet, consumed);
      for (const [filter, handlers] of this.#handlers) {
        if (!topicMatches(filter, topic)) continue;
        for (const h of handlers) h(message);
      }
    });
    this.#holdAcknowledgements(client);
  }

  /**
   * mqtt.js handles one packet at a time and sends a PUBACK as soon as handleMessage calls back:
   * waiting there would cost one commit per message. Instead handleMessage returns at once, and
   * the PUBACK itself is held until the message's points are committed, so the messages the
   * broker has in flight share one commit. PUBACKs leave in the order their messages came (MQTT
   * asks for it); a failed commit drops the connection with the rest unacknowledged, and the
   * broker sends them again on the next one.
   */
  #holdAcknowledgements(client: MqttClient): void {
    type Send = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;
    const internal = client as unknown as { _sendPacket?: Send };
    // mqtt.js' private sender, as in 5.x: should a release rename it, wait in handleMessage instead
    // (one commit per message, but never a PUBACK before the points are on disk)
    if (typeof internal._sendPacket !== "function") return this.#waitInHandleMessage(client);
    const send = internal._sendPacket.bind(client);
    const waitFor = new Map<number, Promise<void>>();
    let tail: Promise<unknown> = Promise.resolve();
    client.handleMessage = (packet, callback) => {
      const settled = packet.cmd === "publish" && packet.messageId !== undefined ? this.#settling.get(packet) : undefined;
      if (settled) {
        // handled here too: an acknowledgement given up with its connection is never awaited
        settled.catch(() => {});
        waitFor.set(packet.messageId as number, settled);
      }
      callback();
    };
    internal._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd !== "puback" || packet.messageId === undefined) return send(packet, cb, ...rest);
      const settled = waitFor.get(packet.messageId);
      waitFor.delete(packet.messageId);
      cb?.(); // the next packet may be handled meanwhile
      const stream = client.stream;
      const previous = tail;
      tail = (async () => {
        await previous;
        // an answer for a connection that is gone would acknowledge on the next one
        if (client.stream !== stream || stream.destroyed) return;
        try {
          await settled;
        } catch {
          stream.destroy();
          return;
        }
        if (client.stream === stream && !stream.destroyed) send(packet);
      })();
    };
  }

  #waitInHandleMessage(client: MqttClient): void {
    client.handleMessage = (packet, callback) => {
      const settled = packet.cmd === "publish" ? this.#settling.get(packet) : undefined;
      if (!settled) return callback();
      const stream = client.stream;
      settled.then(
        () => {
          if (client.stream === stream) callback();
        },
        () => {
          if (client.stream === stream) stream.destroy();
        },
      );
    };
  }

  /** Connects (the listeners are in place before the first packet), and reconnects by itself. */
  static connect(options: ExternalOptions): Promise<ExternalBroker> {
    const persistent = (options.sessionExpirySec ?? 0) > 0;
    const opts: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: 5,
      clean: !persistent,
      ...(persistent ? { properties: { sessionExpiryInterval: options.sessionExpirySec } } : {}),
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      will: { topic: options.statusTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    };
    const client = connect(options.url, opts);
    const broker = new ExternalBroker(client, options.shareGroup, options.awaitConsumer ?? false);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        client.off("connect", onConnect);
        client.end(true);
        reject(err);
      };
      const onConnect = () => {
        client.off("error", onError);
        resolve(broker);
      };
      client.once("connect", onConnect);
      client.once("error", onError);
    });
  }

  async consume(filter: string, consumer: Consumer): Promise<() => Promise<void>> {
    const remove = this.#consumers.add(filter, consumer);
    const wire = this.shareGroup ? `$share/${this.shareGroup}/${filter}` : filter;
    await this.client.subscribeAsync(wire, { qos: 1 });
    return async () => {
      remove();
      await this.client.unsubscribeAsync(wire);
    };
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
