import { z } from "zod";
import type { ChannelType } from "./types.ts";

/**
 * Where one chat channel goes, as every section that names channels writes it (alerts.webhooks,
 * alerts.escalation.webhooks, orders.escalation.webhooks and supervisorWebhooks). The channels stay
 * configured in those sections, beside what each section filters (an alert hook's events and
 * minSeverity), rather than in a top-level list they would have to point into: every existing
 * linli.yaml keeps working unchanged, and two entries for one robot become one channel anyway
 * (same URL, or same topic), so the robot's budget is shared whichever section names it.
 */
export const channelTargetShape = {
  /** wecom and dingtalk are the group robots' markdown messages; json posts JSON; mqtt publishes JSON on `topic` */
  type: z.enum(["wecom", "dingtalk", "json", "mqtt"]),
  /** the webhook's address (wecom, dingtalk, json) */
  url: z.string().url().optional(),
  /** DingTalk "加签" secret (SEC...): the URL gets timestamp and an HMAC-SHA256 sign */
  secret: z.string().optional(),
  /** an mqtt channel's topic on the gateway's broker link, e.g. linli/<site>/desk/building-12 (no wildcards) */
  topic: z.string().optional(),
  /** an mqtt channel's QoS */
  qos: z.union([z.literal(0), z.literal(1)]).optional(),
  /** a name for routing rules, logs, metrics and the console; defaults to the type and position */
  name: z.string().optional(),
  /** messages this channel may be sent per minute by everyone together; default by type (20 for the group robots) */
  perMinute: z.number().int().min(1).max(10_000).optional(),
};

export type ChannelTarget = z.infer<z.ZodObject<typeof channelTargetShape>>;

/** The checks zod's shape cannot say: a webhook needs a url, an mqtt channel a topic it may publish on. */
export function checkChannelTarget(t: ChannelTarget, ctx: z.RefinementCtx): void {
  if (t.type === "mqtt") {
    if (!t.topic) ctx.addIssue({ code: "custom", path: ["topic"], message: "an mqtt channel needs a topic" });
    else if (/[+#]/.test(t.topic) || t.topic.startsWith("$") || t.topic.split("/").some((l) => l === "")) ctx.addIssue({ code: "custom", path: ["topic"], message: `not a topic to publish on: ${t.topic}` });
    if (t.url || t.secret) ctx.addIssue({ code: "custom", path: [t.url ? "url" : "secret"], message: "an mqtt channel has a topic, not a url or secret" });
    return;
  }
  if (!t.url) ctx.addIssue({ code: "custom", path: ["url"], message: `a ${t.type} channel needs a url` });
  if (t.topic || t.qos !== undefined) ctx.addIssue({ code: "custom", path: [t.topic ? "topic" : "qos"], message: "topic and qos are for mqtt channels" });
}

/** A channel target on its own, as orders write theirs. */
export const channelTargetSchema = z.strictObject(channelTargetShape).superRefine(checkChannelTarget);

/**
 * Messages a minute each type of channel is paced to when no entry sets `perMinute`: a WeCom
 * group robot takes 20 a minute and then refuses the sender (errcode 45009) for minutes, DingTalk's
 * custom robot documents the same 20; a JSON endpoint is the site's own server, and an MQTT topic
 * the gateway's own broker (its subscriber is a desk app, not meant to be flooded either).
 */
export const DEFAULT_PER_MINUTE: Record<ChannelType, number> = { wecom: 20, dingtalk: 20, json: 120, mqtt: 120 };

/** What is one destination: a robot is its URL (any key in it included), an MQTT channel its topic. */
export function destinationOf(t: ChannelTarget): string {
  return t.type === "mqtt" ? `mqtt:${t.topic ?? ""}` : (t.url ?? "");
}

/** The sections that name channels, and the name an unnamed entry gets in each (`<prefix><type>-<position>`). */
const channelSections = {
  alerts: "",
  alertEscalation: "escalation-",
  orderReminders: "reminded-",
  orderSupervisor: "escalated-",
} as const;
export type ChannelSection = keyof typeof channelSections;

export function channelName(section: ChannelSection, t: { name?: string | undefined; type: string }, index: number): string {
  return t.name ?? `${channelSections[section]}${t.type}-${index + 1}`;
}
