import { Counter, type Registry } from "prom-client";
import type { Logger } from "pino";
import type { MqttLink } from "../broker/link.ts";
import { channelName } from "../channels/config.ts";
import { withRetry } from "../channels/retry.ts";
import { messagesCounter } from "../channels/service.ts";
import type { Channels, Digest } from "../channels/types.ts";
import { alertTopic } from "../ingest/topic.ts";
import type { AlertsConfig, NotifyEvent, WebhookConfig } from "./config.ts";
import { severityRank } from "./engine.ts";
import { alertMessage, digestMessage } from "./messages.ts";
import type { Router } from "./routing.ts";
import type { Alert, AlertChange } from "./types.ts";

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

interface NamedHook {
  name: string;
  hook: WebhookConfig;
  escalation: boolean;
}

/** Why a change went to no channel although they wanted it: kept and shown, not sent. */
export type Suppression = "muted" | "quiet";

/**
 * Sends each alert change to every channel that wants it: MQTT (retained current state), the
 * channels the routing rules pick, and on escalation the escalation channels. The chat channels are
 * the core's (gateway/channels): paced queues with retry and backoff shared with every other sender,
 * so a failed or slow channel never holds up another, a burst becomes digests instead of a robot's
 * block, and nothing here blocks the engine.
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
    private readonly channels: Channels,
    private readonly cfg: AlertsConfig,
    private readonly log: Logger,
    registry: Registry,
    private readonly router: Router,
    /** why a change is not sent (a muted device, quiet hours), or undefined */
    private readonly suppressed: (change: AlertChange) => Suppression | undefined,
  ) {
    this.#sent = messagesCounter(registry);
    this.#alerts = counter(registry, "linli_alert_channel_alerts_total", "Alert changes per channel: sent alone, counted in a digest, or failed after every retry", ["channel", "outcome"]);
    this.#suppressed = counter(registry, "linli_alert_suppressed_total", "Alert changes kept but sent to no channel: the device was muted, or quiet hours", ["reason"]);
    this.#hooks = [
      ...cfg.webhooks.map((hook, i) => ({ name: channelName("alerts", hook, i), hook, escalation: false })),
      ...cfg.escalation.webhooks.map((hook, i) => ({ name: channelName("alertEscalation", hook, i), hook, escalation: true })),
    ];
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
    const message = alertMessage(change, this.cfg);
    const digest: Digest<AlertChange> = { key: "alerts", item: change, merge: (changes) => digestMessage(changes, this.cfg) };
    // two entries for one robot are one channel: it gets the change once
    const channels = new Set(wanted.map((h) => this.channels.resolve(h.name)?.name ?? h.name));
    for (const channel of channels) {
      this.channels.send(channel, message, {
        source: "alerts",
        digest,
        onOutcome: (outcome, error) => {
          this.#alerts.inc({ channel, outcome });
          if (error) this.log.error({ channel, alertId: change.alert.id, err: error }, "alert delivery given up");
        },
      });
    }
  }

  /**
   * The alert's current state, retained on `linli/<site>/alerts/<id>`. Also called at start for
   * every unresolved alert: an embedded broker forgets retained messages when the gateway restarts.
   */
  publishState(alert: Alert, lastEvent: string, at: number): void {
    if (!this.cfg.mqtt.enabled || this.#abort.signal.aborted) return;
    const topic = alertTopic(this.site, alert.id);
    const payload = JSON.stringify({ ...alert, lastEvent, changedAt: at });
    const p = withRetry(() => this.mqtt.publish(topic, payload, { qos: this.cfg.mqtt.qos, retain: true }), this.cfg.retry, this.#abort.signal, (n, err) => this.log.warn({ channel: "mqtt", attempt: n, err: String(err) }, "alert delivery failed"))
      .then((attempts) => void this.#sent.inc({ channel: "mqtt", outcome: attempts > 1 ? "retried" : "ok", source: "alerts" }))
      .catch((err: unknown) => {
        this.#sent.inc({ channel: "mqtt", outcome: "failed", source: "alerts" });
        this.log.error({ channel: "mqtt", err: String(err) }, "alert delivery given up");
      })
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** `routed`: the channels the routing rules chose, or undefined when there are no rules. */
  #wants(h: NamedHook, change: AlertChange, routed: Set<string> | undefined): boolean {
    if (severityRank(change.alert.severity) < severityRank(h.hook.minSeverity)) return false;
    if (h.escalation) return change.event === "escalated";
    if (change.event === "evidence" || !h.hook.events.includes(change.event as NotifyEvent)) return false;
    return routed?.has(h.name) ?? true;
  }

  /** Resolves when every state publish under way has finished and the chat channels are idle (tests, and stop()). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    await this.channels.idle();
  }

  /** Stops state publish retries; what the chat channels hold they send, being the core's. */
  async stop(): Promise<void> {
    this.#abort.abort();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }
}
