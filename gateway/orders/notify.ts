import type { Logger } from "pino";
import type { AlertsConfig, WebhookConfig } from "../alerts/config.ts";
import { placeText, timeText } from "../alerts/i18n.ts";
import { withRetry } from "../alerts/retry.ts";
import { fitBytes, postWebhook, signedDingtalkUrl, type WebhookRequest } from "../alerts/webhook.ts";
import type { MqttLink } from "../broker/link.ts";
import type { Lang } from "../i18n.ts";
import type { StaffMember } from "../staff/desk.ts";
import type { OrderHook, OrdersConfig } from "./config.ts";
import { eventNames, stateNames, typeNames } from "./strings.ts";
import type { OrderChange, WorkOrder } from "./types.ts";

export type Step = "reminded" | "escalated";

/** The robot message for an overdue step, in the channel's own format (as the alert channels send theirs). */
export function orderHookRequest(hook: OrderHook, order: WorkOrder, step: Step, who: (user: string | undefined) => string, lang: Lang, timeZone: string, now = Date.now()): WebhookRequest {
  const zh = lang === "zh";
  const title = `【${zh ? "工单超时" : "Work order overdue"}】${eventNames[step][lang]}`;
  const lines = [
    `${zh ? "工单" : "Order"}: ${order.id}`,
    `${zh ? "类型" : "Type"}: ${typeNames[order.type][lang]}`,
    `${zh ? "地点" : "Place"}: ${placeText(order.place, lang)}`,
    `${zh ? "处理人" : "Assignee"}: ${who(order.assignee)}`,
    `${zh ? "状态" : "State"}: ${stateNames[order.state][lang]}`,
    `${zh ? "截止时间" : "Due"}: ${timeText(order.dueAt, timeZone)}`,
    `${zh ? "内容" : "Details"}: ${order.description}`,
  ];
  switch (hook.type) {
    case "wecom":
      return { url: hook.url, body: { msgtype: "markdown", markdown: { content: fitBytes([`## <font color="warning">${title}</font>`, ...lines.map((l) => `> ${l}`)].join("\n"), 4_096) } } };
    case "dingtalk":
      return { url: hook.secret ? signedDingtalkUrl(hook.url, hook.secret, now) : hook.url, body: { msgtype: "markdown", markdown: { title, text: fitBytes([`### ${title}`, ...lines.map((l) => `- ${l}`)].join("\n"), 18_000) } } };
    case "json":
      return { url: hook.url, body: { event: step, at: now, order } };
  }
}

/**
 * Tells people about work orders through the alert channels: every change as the order's retained
 * state on MQTT (`linli/<site>/orders/<id>`), overdue reminders to the assignee's webhooks and
 * escalations to the supervisor's, each with the alert channels' retry.
 */
export class OrderNotifier {
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();

  constructor(
    private readonly site: string,
    private readonly mqtt: MqttLink,
    private readonly cfg: OrdersConfig,
    private readonly alerts: AlertsConfig,
    private readonly members: () => StaffMember[],
    private readonly log: Logger,
  ) {}

  changed(change: OrderChange): void {
    if (!this.alerts.mqtt.enabled) return;
    const payload = JSON.stringify({ ...change.order, signatures: change.order.signatures.map(({ png: _png, ...s }) => s), lastEvent: change.record.event, record: change.record.seq });
    this.#run("mqtt", () => this.mqtt.publish(`linli/${this.site}/orders/${change.order.id}`, payload, { qos: this.alerts.mqtt.qos, retain: true }));
  }

  overdue(order: WorkOrder, step: Step): void {
    const own = step === "reminded" ? this.cfg.escalation.webhooks : this.cfg.escalation.supervisorWebhooks;
    const hooks: OrderHook[] = own.length > 0 ? own : step === "reminded" ? this.alerts.webhooks : this.alerts.escalation.webhooks;
    const who = (user: string | undefined) => (user ? (this.members().find((m) => m.user === user)?.displayName ?? user) : "-");
    hooks.forEach((hook, i) => {
      const asAlertHook: WebhookConfig = { ...hook, minSeverity: "info", events: [] };
      this.#run(hook.name ?? `${step}-${hook.type}-${i + 1}`, () => postWebhook(asAlertHook, orderHookRequest(hook, order, step, who, this.alerts.console.language, this.alerts.timeZone), this.alerts.retry.timeoutMs));
    });
  }

  #run(channel: string, send: () => Promise<void>): void {
    const p = withRetry(send, this.alerts.retry, this.#abort.signal, (n, err) => this.log.warn({ channel, attempt: n, err: String(err) }, "work order message failed"))
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ channel, err: String(err) }, "work order message given up"))
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.idle();
  }
}
