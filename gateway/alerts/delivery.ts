import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "pino";
import type { MqttLink } from "../broker/link.ts";
import { webhookName, type AlertsConfig, type NotifyEvent, type WebhookConfig } from "./config.ts";
import { severityRank } from "./engine.ts";
import { DEFAULT_PER_MINUTE, PacedChannel, type ChannelHealth, type Outgoing } from "./pacing.ts";
import { withRetry } from "./retry.ts";
import type { Router } from "./routing.ts";
import type { Alert, AlertChange } from "./types.ts";
import { digestRequest, postWebhook, webhookRequest } from "./webhook.ts";
import { alertTopic } from "../ingest/topic.ts";

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** A gauge read from this delivery's channels when /metrics is scraped (replacing one a stopped delivery registered). */
function gauge(registry: Registry, name: string, help: string, read: (g: Gauge) => void): void {
  registry.removeSingleMetric(name);
  new Gauge({ name, help, labelNames: ["channel"], registers: [registry], collect() { this.reset(); read(this); } });
}

interface NamedHook {
  name: string;
  hook: WebhookConfig;
  escalation: boolean;
  channel: PacedChannel;
}

/** Why a change went to no webhook although they wanted it: kept and shown, not sent. */
export type Suppression = "muted" | "quiet";

/**
 * Sends each alert change to every channel that wants it: MQTT (retained current state), the
 * webhooks the routing rules pick, and on escalation the escalation webhooks. Each webhook is a
 * paced queue (pacing.ts) with retry and backoff, so a failed or slow channel never holds up
 * another, a burst becomes digests instead of a robot's block, and nothing here blocks the engine.
 */
export class Delivery {
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();
  readonly #hooks: NamedHook[];
  readonly #sent: Counter;
  readonly #alerts: Counter;
  readonly #suppressed: Counter;

  constructor(
    private readonly site: string,
    private readonly mqtt: MqttLink,
    private readonly cfg: AlertsConfig,
    private readonly log: Logger,
    registry: Registry,
    private readonly router: Router,
    /** why a change is not sent (a muted device, quiet hours), or undefined */
    private readonly suppressed: (change: AlertChange) => Suppression | undefined,
  ) {
    this.#sent = counter(registry, "linli_alert_deliveries_total", "Alert messages delivered or given up, per channel", ["channel", "outcome"]);
    this.#alerts = counter(registry, "linli_alert_channel_alerts_total", "Alert changes per channel: sent alone, counted in a digest, or failed after every retry", ["channel", "outcome"]);
    this.#suppressed = counter(registry, "linli_alert_suppressed_total", "Alert changes kept but sent to no webhook: the device was muted, or quiet hours", ["reason"]);
    const channel = (name: string, hook: WebhookConfig) =>
      new PacedChannel(name, hook.type, { perMinute: hook.perMinute ?? DEFAULT_PER_MINUTE[hook.type], digestEveryMs: cfg.pacing.digestEveryMs, signal: this.#abort.signal }, (out, slot) => this.#send(name, hook, out, slot));
    this.#hooks = [
      ...cfg.webhooks.map((hook, i) => ({ name: webhookName(hook, i), hook, escalation: false })),
      ...cfg.escalation.webhooks.map((hook, i) => ({ name: hook.name ?? `escalation-${hook.type}-${i + 1}`, hook, escalation: true })),
    ].map((h) => ({ ...h, channel: channel(h.name, h.hook) }));
    const each = (g: Gauge, value: (h: ChannelHealth) => number) => {
      for (const h of this.health()) g.set({ channel: h.name }, value(h));
    };
    gauge(registry, "linli_alert_channel_queued", "Alert changes waiting in a channel's queue (for its minute's budget or the next digest)", (g) => each(g, (h) => h.queued));
    gauge(registry, "linli_alert_channel_failing", "1 while a channel's last message failed after every retry", (g) => each(g, (h) => (h.failing ? 1 : 0)));
  }

  deliver(change: AlertChange): void {
    if (this.#abort.signal.aborted) return;
    this.publishState(change.alert, change.event, change.at);
    const routed = this.router.channelsFor(change);
    const wanted = this.#hooks.filter((h) => this.#wants(h, change, routed));
    if (wanted.length === 0) return;
    const why = this.suppressed(change);
    if (why) {
      this.#suppressed.inc({ reason: why });
      this.log.info({ alertId: change.alert.id, event: change.event, device: change.alert.place.device, reason: why }, "alert not sent");
      return;
    }
    for (const h of wanted) h.channel.push(change);
  }

  /** Each webhook's counts and state, for the console and /metrics. */
  health(): ChannelHealth[] {
    return this.#hooks.map((h) => h.channel.health());
  }

  /**
   * The alert's current state, retained on `linli/<site>/alerts/<id>`. Also called at start for
   * every unresolved alert: an embedded broker forgets retained messages when the gateway restarts.
   */
  publishState(alert: Alert, lastEvent: string, at: number): void {
    if (!this.cfg.mqtt.enabled || this.#abort.signal.aborted) return;
    const topic = alertTopic(this.site, alert.id);
    const payload = JSON.stringify({ ...alert, lastEvent, changedAt: at });
    this.#run("mqtt", () => this.mqtt.publish(topic, payload, { qos: this.cfg.mqtt.qos, retain: true }));
  }

  /** `routed`: the webhooks the routing rules chose, or undefined when there are no rules. */
  #wants(h: NamedHook, change: AlertChange, routed: Set<string> | undefined): boolean {
    if (severityRank(change.alert.severity) < severityRank(h.hook.minSeverity)) return false;
    if (h.escalation) return change.event === "escalated";
    if (change.event === "evidence" || !h.hook.events.includes(change.event as NotifyEvent)) return false;
    return routed?.has(h.name) ?? true;
  }

  /** One message to a webhook, with retry; every attempt waits for the channel's budget. */
  async #send(channel: string, hook: WebhookConfig, out: Outgoing, slot: () => Promise<void>): Promise<void> {
    const changes = "alone" in out ? [out.alone] : out.digest;
    const outcome = (o: string) => this.#alerts.inc({ channel, outcome: o }, changes.length);
    try {
      // built per attempt: a DingTalk signature is only valid for an hour
      await this.#retried(channel, async () => {
        await slot();
        const req = "alone" in out ? webhookRequest(hook, out.alone, this.cfg) : digestRequest(hook, out.digest, this.cfg);
        await postWebhook(hook, req, this.cfg.retry.timeoutMs);
      });
      outcome("alone" in out ? "sent" : "digested");
    } catch (err) {
      outcome("failed");
      this.log.error({ channel, alerts: changes.map((c) => c.alert.id), err: String(err) }, "alert delivery given up");
      throw err;
    }
  }

  /** Runs a send with retry and counts the message's outcome; throws when it is given up. */
  async #retried(channel: string, send: () => Promise<void>): Promise<void> {
    try {
      const attempts = await withRetry(send, this.cfg.retry, this.#abort.signal, (n, err) => this.log.warn({ channel, attempt: n, err: String(err) }, "alert delivery failed"));
      this.#sent.inc({ channel, outcome: attempts > 1 ? "retried" : "ok" });
    } catch (err) {
      this.#sent.inc({ channel, outcome: "failed" });
      throw err;
    }
  }

  #run(channel: string, send: () => Promise<void>): void {
    const p = this.#retried(channel, send)
      .catch((err: unknown) => this.log.error({ channel, err: String(err) }, "alert delivery given up"))
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Resolves when every send under way has finished or given up, and every channel's queue is empty (tests, and stop()). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    await Promise.all(this.#hooks.map((h) => h.channel.idle()));
  }

  /** Stops retries (a send under way finishes or times out); says what the channels still held, so nothing goes unnoticed. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.idle();
    for (const h of this.health()) if (h.queued > 0) this.log.warn({ channel: h.name, queued: h.queued }, "alert changes still queued at stop: not sent");
  }
}
