import type { Logger } from "pino";
import type { AlertsConfig } from "../alerts/config.ts";
import { placeText, timeText } from "../alerts/i18n.ts";
import { channelName } from "../channels/config.ts";
import { withRetry } from "../channels/retry.ts";
import type { Channels, ChatMessage, Digest } from "../channels/types.ts";
import type { MqttLink } from "../broker/link.ts";
import type { Lang } from "../i18n.ts";
import type { StaffMember } from "../staff/desk.ts";
import type { OrdersConfig } from "./config.ts";
import { eventNames, stateNames, typeNames } from "./strings.ts";
import type { OrderChange, WorkOrder } from "./types.ts";

export type Step = "reminded" | "escalated";

/** One overdue step of one order, as a message and in a digest. */
export interface Overdue {
  order: WorkOrder;
  step: Step;
  /** the assignee as people know them */
  assignee: string;
}

/** The message for an overdue step; JSON and MQTT channels get the order itself. */
function overdueMessage(o: Overdue, lang: Lang, timeZone: string, now = Date.now()): ChatMessage {
  const zh = lang === "zh";
  const { order } = o;
  return {
    title: `【${zh ? "工单超时" : "Work order overdue"}】${eventNames[o.step][lang]}`,
    lines: [
      `${zh ? "工单" : "Order"}: ${order.id}`,
      `${zh ? "类型" : "Type"}: ${typeNames[order.type][lang]}`,
      `${zh ? "地点" : "Place"}: ${placeText(order.place, lang)}`,
      `${zh ? "处理人" : "Assignee"}: ${o.assignee}`,
      `${zh ? "状态" : "State"}: ${stateNames[order.state][lang]}`,
      `${zh ? "截止时间" : "Due"}: ${timeText(order.dueAt, timeZone)}`,
      `${zh ? "内容" : "Details"}: ${order.description}`,
    ],
    json: { event: o.step, at: now, order },
  };
}

/** Several overdue steps in one message, one line each (a channel past half its minute's budget). */
function overdueDigest(items: readonly Overdue[], lang: Lang, timeZone: string, now = Date.now()): ChatMessage {
  const zh = lang === "zh";
  const shown = items.slice(0, 30);
  const lines = shown.map(({ order, step, assignee }) => `${order.id} · ${eventNames[step][lang]} · ${typeNames[order.type][lang]} · ${placeText(order.place, lang)} · ${assignee} · ${zh ? "截止" : "due"} ${timeText(order.dueAt, timeZone)}`);
  if (items.length > shown.length) lines.push(zh ? `其他 ${items.length - shown.length} 张` : `${items.length - shown.length} more`);
  return {
    title: zh ? `【工单超时汇总】共 ${items.length} 张` : `Overdue work orders: ${items.length}`,
    lines,
    json: { event: "digest", at: now, count: items.length, orders: items.map(({ order, step }) => ({ event: step, order })) },
  };
}

/**
 * Tells people about work orders: every change as the order's retained state on MQTT
 * (`linli/<site>/orders/<id>`), overdue reminders to the assignee's channels and escalations to the
 * supervisor's, through the core's chat channels, so a robot shared with the alerts is paced for
 * both together.
 */
export class OrderNotifier {
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();

  constructor(
    private readonly site: string,
    private readonly mqtt: MqttLink,
    private readonly channels: Channels,
    private readonly cfg: OrdersConfig,
    private readonly alerts: AlertsConfig,
    private readonly members: () => StaffMember[],
    private readonly log: Logger,
  ) {}

  changed(change: OrderChange): void {
    if (!this.alerts.mqtt.enabled) return;
    const payload = JSON.stringify({ ...change.order, signatures: change.order.signatures.map(({ png: _png, ...s }) => s), lastEvent: change.record.event, record: change.record.seq });
    const p = withRetry(() => this.mqtt.publish(`linli/${this.site}/orders/${change.order.id}`, payload, { qos: this.alerts.mqtt.qos, retain: true }), this.alerts.retry, this.#abort.signal, (n, err) => this.log.warn({ channel: "mqtt", attempt: n, err: String(err) }, "work order message failed"))
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ channel: "mqtt", err: String(err) }, "work order message given up"))
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** The channel names a step goes to: the orders' own, or else the alert channels'. */
  #channelsFor(step: Step): string[] {
    const { escalation } = this.cfg;
    if (step === "reminded") return escalation.webhooks.length > 0 ? escalation.webhooks.map((h, i) => channelName("orderReminders", h, i)) : this.alerts.webhooks.map((h, i) => channelName("alerts", h, i));
    return escalation.supervisorWebhooks.length > 0 ? escalation.supervisorWebhooks.map((h, i) => channelName("orderSupervisor", h, i)) : this.alerts.escalation.webhooks.map((h, i) => channelName("alertEscalation", h, i));
  }

  overdue(order: WorkOrder, step: Step): void {
    if (this.#abort.signal.aborted) return;
    const user = order.assignee;
    const item: Overdue = { order, step, assignee: user ? (this.members().find((m) => m.user === user)?.displayName ?? user) : "-" };
    const { language: lang } = this.alerts.console;
    const { timeZone } = this.alerts;
    const digest: Digest<Overdue> = { key: "orders", item, merge: (items) => overdueDigest(items, lang, timeZone) };
    const message = overdueMessage(item, lang, timeZone);
    // two entries for one robot are one channel: it is told once
    const channels = new Set(this.#channelsFor(step).map((name) => this.channels.resolve(name)?.name ?? name));
    for (const channel of channels) {
      this.channels.send(channel, message, {
        source: "orders",
        digest,
        onOutcome: (_outcome, error) => {
          if (error) this.log.error({ channel, order: order.id, step, err: error }, "work order message given up");
        },
      });
    }
  }

  /** Resolves when the state publishes under way are done and the chat channels are idle (tests). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    await this.channels.idle();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }
}
