import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { MqttLink } from "../broker/link.ts";
import { DEFAULT_PER_MINUTE, type ChannelTarget } from "./config.ts";
import type { ChannelGroup } from "./entries.ts";
import { PacedChannel, type Outgoing } from "./pacing.ts";
import { jsonOf, postWebhook, webhookRequest } from "./render.ts";
import { withRetry, type RetryOptions } from "./retry.ts";
import type { ChannelHealth, Channels, ChatMessage, Outcome, SendOptions } from "./types.ts";

export interface ChannelServiceOptions {
  /** how long waiting messages gather before they go as one digest */
  digestEveryMs: number;
  retry: RetryOptions & { timeoutMs: number };
  mqtt: MqttLink;
  log: Logger;
  registry: Registry;
}

interface Queued {
  message: ChatMessage;
  options: SendOptions<unknown>;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * Messages per channel, sender and outcome (ok, retried, failed); shared with the alerts' retained
 * states on MQTT (gateway/alerts/delivery.ts), which it counted before there were other senders.
 */
export function messagesCounter(registry: Registry): Counter {
  return counter(registry, "linli_alert_deliveries_total", "Chat channel messages (and alert states on MQTT) delivered, ok or after retries, or given up, per channel and sender", ["channel", "outcome", "source"]);
}

/** A gauge read from the channels when /metrics is scraped. */
function gauge(registry: Registry, name: string, help: string, read: (g: Gauge) => void): void {
  registry.removeSingleMetric(name);
  new Gauge({ name, help, labelNames: ["channel"], registers: [registry], collect() { this.reset(); read(this); } });
}

/**
 * The chat channels of the gateway (types.ts): one paced queue per destination with retry and
 * backoff, whoever sends to it. The metrics keep the names they had when only alerts used them,
 * so existing boards go on working; `source` says who sent.
 */
export class ChannelService implements Channels {
  readonly #abort = new AbortController();
  readonly #channels: Array<{ group: ChannelGroup; paced: PacedChannel<Queued> }>;
  readonly #byName = new Map<string, { group: ChannelGroup; paced: PacedChannel<Queued> }>();
  readonly #messages: Counter;
  readonly #unknown: Counter;

  constructor(
    groups: readonly ChannelGroup[],
    private readonly o: ChannelServiceOptions,
  ) {
    this.#messages = messagesCounter(o.registry);
    this.#unknown = counter(o.registry, "linli_channel_unknown_total", "Messages for a channel name no channel has (or sent after stop), per sender", ["source"]);
    this.#channels = groups.map((group) => {
      const perMinute = group.perMinute ?? DEFAULT_PER_MINUTE[group.target.type];
      const paced = new PacedChannel<Queued>(group.name, group.target.type, { perMinute, digestEveryMs: o.digestEveryMs, signal: this.#abort.signal, digestKey: (q) => q.options.digest?.key }, (out, slot) => this.#send(group, out, slot));
      return { group, paced };
    });
    for (const c of this.#channels) for (const name of c.group.names) this.#byName.set(name, c);
    const each = (g: Gauge, value: (h: ChannelHealth) => number) => {
      for (const h of this.health()) g.set({ channel: h.name }, value(h));
    };
    gauge(o.registry, "linli_alert_channel_queued", "Messages waiting in a chat channel's queue (for its minute's budget or the next digest)", (g) => each(g, (h) => h.queued));
    gauge(o.registry, "linli_alert_channel_failing", "1 while a chat channel's last message failed after every retry", (g) => each(g, (h) => (h.failing ? 1 : 0)));
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  resolve(name: string): { name: string; type: ChannelTarget["type"] } | undefined {
    const c = this.#byName.get(name);
    return c && { name: c.group.name, type: c.group.target.type };
  }

  send<T>(channel: string, message: ChatMessage, options: SendOptions<T>): boolean {
    const c = this.#byName.get(channel);
    if (!c || this.#abort.signal.aborted) {
      this.#unknown.inc({ source: options.source });
      this.o.log.warn({ channel, source: options.source, title: message.title }, c ? "channel message after stop: not sent" : "no chat channel of that name: message not sent");
      return false;
    }
    c.paced.push({ message, options: options as SendOptions<unknown> });
    return true;
  }

  health(): ChannelHealth[] {
    return this.#channels.map((c) => c.paced.health());
  }

  async idle(): Promise<void> {
    await Promise.all(this.#channels.map((c) => c.paced.idle()));
  }

  /** Stops retries and pacing waits (a send under way finishes or times out); says what the queues still held. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.idle();
    for (const h of this.health()) if (h.queued > 0) this.o.log.warn({ channel: h.name, queued: h.queued }, "channel messages still queued at stop: not sent");
  }

  /** One message (alone, or the merge of a digest) with retry; every attempt waits for the channel's budget. */
  async #send(group: ChannelGroup, out: Outgoing<Queued>, slot: () => Promise<void>): Promise<void> {
    const items = "alone" in out ? [out.alone] : out.digest;
    const first = items[0]!;
    const message = "alone" in out ? out.alone.message : first.options.digest!.merge(items.map((q) => q.options.digest!.item));
    const channel = group.name;
    const source = first.options.source;
    const tell = (outcome: Outcome, error?: string) => {
      for (const q of items) {
        try {
          q.options.onOutcome?.(outcome, error);
        } catch (err) {
          this.o.log.error({ channel, source: q.options.source, err }, "channel outcome listener failed");
        }
      }
    };
    try {
      const attempts = await withRetry(
        async () => {
          await slot();
          await this.#deliver(group.target, message);
        },
        this.o.retry,
        this.#abort.signal,
        (n, err) => this.o.log.warn({ channel, source, attempt: n, err: String(err) }, "channel message failed"),
      );
      this.#messages.inc({ channel, outcome: attempts > 1 ? "retried" : "ok", source });
      tell("alone" in out ? "sent" : "digested");
    } catch (err) {
      this.#messages.inc({ channel, outcome: "failed", source });
      this.o.log.error({ channel, source, title: message.title, err: String(err) }, "channel message given up");
      tell("failed", String(err));
      throw err;
    }
  }

  async #deliver(target: ChannelTarget, message: ChatMessage): Promise<void> {
    if (target.type === "mqtt") return this.o.mqtt.publish(target.topic!, JSON.stringify(jsonOf(message)), { qos: target.qos ?? 1, retain: false });
    await postWebhook(target, webhookRequest(target, message), this.o.retry.timeoutMs);
  }
}
