import { Counter, type Registry } from "prom-client";
import type { Logger } from "pino";
import type { MqttLink } from "../broker/link.ts";
import type { AlertsConfig, NotifyEvent, WebhookConfig } from "./config.ts";
import { severityRank } from "./engine.ts";
import { withRetry } from "./retry.ts";
import type { Alert, AlertChange } from "./types.ts";
import { postWebhook, webhookRequest } from "./webhook.ts";
import { alertTopic } from "../ingest/topic.ts";

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

/**
 * Sends each alert change to every channel that wants it: MQTT (retained current state), the
 * webhooks, and on escalation the escalation webhooks. Each send runs on its own with retry and
 * backoff, so a failed or slow channel never holds up another; nothing here blocks the engine.
 */
export class Delivery {
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();
  readonly #hooks: NamedHook[];
  readonly #sent: Counter;

  constructor(
    private readonly site: string,
    private readonly mqtt: MqttLink,
    private readonly cfg: AlertsConfig,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.#hooks = [
      ...cfg.webhooks.map((hook, i) => ({ name: hook.name ?? `${hook.type}-${i + 1}`, hook, escalation: false })),
      ...cfg.escalation.webhooks.map((hook, i) => ({ name: hook.name ?? `escalation-${hook.type}-${i + 1}`, hook, escalation: true })),
    ];
    this.#sent = counter(registry, "linli_alert_deliveries_total", "Alert messages delivered or given up, per channel", ["channel", "outcome"]);
  }

  deliver(change: AlertChange): void {
    if (this.#abort.signal.aborted) return;
    this.publishState(change.alert, change.event, change.at);
    for (const h of this.#hooks) {
      if (!this.#wants(h, change)) continue;
      // built per attempt: a DingTalk signature is only valid for an hour
      this.#run(h.name, () => postWebhook(h.hook, webhookRequest(h.hook, change, this.cfg), this.cfg.retry.timeoutMs));
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
    this.#run("mqtt", () => this.mqtt.publish(topic, payload, { qos: this.cfg.mqtt.qos, retain: true }));
  }

  #wants(h: NamedHook, change: AlertChange): boolean {
    if (severityRank(change.alert.severity) < severityRank(h.hook.minSeverity)) return false;
    if (h.escalation) return change.event === "escalated";
    return change.event !== "evidence" && h.hook.events.includes(change.event as NotifyEvent);
  }

  #run(channel: string, send: () => Promise<void>): void {
    const p = withRetry(send, this.cfg.retry, this.#abort.signal, (n, err) => this.log.warn({ channel, attempt: n, err: String(err) }, "alert delivery failed"))
      .then((attempts) => {
        this.#sent.inc({ channel, outcome: attempts > 1 ? "retried" : "ok" });
      })
      .catch((err: unknown) => {
        this.#sent.inc({ channel, outcome: "failed" });
        this.log.error({ channel, err: String(err) }, "alert delivery given up");
      })
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Resolves when every send under way has finished or given up (tests, and stop()). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Stops retries (a send under way finishes or times out). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.idle();
  }
}
