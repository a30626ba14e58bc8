import { z } from "zod";
import { channelName, channelTargetShape, checkChannelTarget } from "../channels/config.ts";
import { consoleConfigSchema } from "../console/config.ts";
import { typeNames } from "./rules/index.ts";

export const severities = ["info", "warning", "critical"] as const;
export type Severity = (typeof severities)[number];

/** What a delivery channel can be told about; `repeated` is off by default so a flood stays one message. */
export const notifyEvents = ["opened", "repeated", "escalated", "acknowledged", "resolved"] as const;
export type NotifyEvent = (typeof notifyEvents)[number];

/** A chat channel alerts go to (gateway/channels/config.ts: a robot, a JSON webhook or an MQTT topic), and which alerts it wants. */
const webhookSchema = z
  .strictObject({
    ...channelTargetShape,
    minSeverity: z.enum(severities).default("info"),
    events: z.array(z.enum(notifyEvents)).default(["opened", "acknowledged", "resolved"]),
  })
  .superRefine(checkChannelTarget);
export type WebhookConfig = z.infer<typeof webhookSchema>;

/** "HH:MM-HH:MM" in the site's time zone; the end is exclusive and may be past midnight (22:00-07:00). */
const hoursSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM-HH:MM");

/** Alert types by name, or a prefix with `*` (charger_*); checked against the known types where the config is parsed. */
const typePatternsSchema = z.array(z.string().regex(/^[a-z_]+\*?$/, "expected an alert type or a prefix ending in *")).optional();

/**
 * A routing rule: alerts it matches go to the webhooks it names. With no rules every webhook gets
 * every alert its own events and minSeverity allow, as before routing existed.
 */
const routeSchema = z.strictObject({
  /** for logs: what the rule is for */
  name: z.string().optional(),
  types: typePatternsSchema,
  minSeverity: z.enum(severities).default("info"),
  /** the alert's building (throws); an alert without one does not match a rule that names buildings */
  buildings: z.array(z.string()).optional(),
  /** the time of day the alert changed, in `alerts.timeZone`; absent: at all hours */
  hours: hoursSchema.optional(),
  /** channel names (`alerts.webhooks[].name`, or `<type>-<position>` when unnamed): robots, JSON webhooks or MQTT topics */
  to: z.array(z.string()).min(1),
});
export type RouteConfig = z.infer<typeof routeSchema>;

/** Low-severity alerts not sent during these hours (stored and shown on the console as always). */
const quietHoursSchema = z.strictObject({
  hours: hoursSchema,
  /** the highest severity kept quiet */
  maxSeverity: z.enum(severities).default("info"),
  /** absent: every type at or below maxSeverity */
  types: typePatternsSchema,
});
export type QuietHoursConfig = z.infer<typeof quietHoursSchema>;

const retrySchema = z.strictObject({
  attempts: z.number().int().min(1).max(100).default(6),
  minDelayMs: z.number().int().min(1).default(1_000),
  maxDelayMs: z.number().int().min(1).default(60_000),
  timeoutMs: z.number().int().min(100).default(10_000),
});

const rulesSchema = z.strictObject({
  throw: z.boolean().default(true),
  /** which charger alarm types raise an alert */
  chargerAlarms: z
    .array(z.enum(["over_temp", "over_current", "over_power", "smoke", "relay_welded", "offline"]))
    .default(["over_temp", "smoke", "over_current", "relay_welded"]),
  liftHold: z.boolean().default(true),
  liftHoldTimeout: z.boolean().default(true),
  liftFault: z.boolean().default(true),
  /** a lift fault (detector loading, late frames) is alerted only once it has lasted this long */
  liftFaultGraceMs: z.number().int().min(0).default(10_000),
  /** staff called lift.falseHolds.alertAfter holds of one lift false within its window */
  liftFalseHolds: z.boolean().default(true),
  /** an RTSP lift camera stalled or failed (gateway/cameras); closed when it streams again */
  cameraFault: z.boolean().default(true),
  /** a charger port command (gateway/chargers) was never acknowledged, or the charger refused it */
  chargerCommandFailed: z.boolean().default(true),
  deviceSilent: z.boolean().default(true),
  /** the spool refuses points, so QoS 1 devices go unacknowledged (influx.spool); closed when it takes them again */
  backPressure: z.boolean().default(true),
  /** a damaged state file (spool, alerts, learning, evidence index, pending commands) was moved aside at start */
  stateQuarantined: z.boolean().default(true),
  /** a car on the parking deny list read at a car park entry (gateway/parking) */
  parkingDeniedPlate: z.boolean().default(true),
  /** per kind, e.g. { throw: 300000 }: overrides the kind's own silentAfterMs; 0 switches a kind off */
  silentAfterMs: z.record(z.string(), z.number().int().min(0)).default({}),
  /** how often silence is checked */
  silentCheckMs: z.number().int().min(100).default(15_000),
});

export const alertsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** a repeat with the same dedup key within this window updates the alert and its count */
  dedupWindowMs: z.number().int().min(0).default(300_000),
  rules: rulesSchema.prefault({}),
  severity: z
    .strictObject({
      throw: z.enum(severities).default("critical"),
      charger: z.enum(severities).default("critical"),
      liftHold: z.enum(severities).default("warning"),
      liftHoldTimeout: z.enum(severities).default("critical"),
      liftFault: z.enum(severities).default("warning"),
      liftFalseHolds: z.enum(severities).default("warning"),
      cameraFault: z.enum(severities).default("warning"),
      chargerCommandFailed: z.enum(severities).default("critical"),
      deviceSilent: z.enum(severities).default("warning"),
      backPressure: z.enum(severities).default("critical"),
      stateQuarantined: z.enum(severities).default("warning"),
      parkingDeniedPlate: z.enum(severities).default("warning"),
    })
    .prefault({}),
  escalation: z
    .strictObject({
      /** an alert still open (not acknowledged) this long after it opened goes to the escalation channels */
      afterMinutes: z.number().positive().default(5),
      /** the lowest severity that escalates */
      minSeverity: z.enum(severities).default("warning"),
      checkMs: z.number().int().min(100).default(10_000),
      webhooks: z.array(webhookSchema).default([]),
    })
    .prefault({}),
  mqtt: z
    .strictObject({ enabled: z.boolean().default(true), qos: z.union([z.literal(0), z.literal(1)]).default(1) })
    .prefault({}),
  webhooks: z.array(webhookSchema).default([]),
  /** which alerts go to which webhooks (routing.ts); empty: every webhook, filtered by its own events and minSeverity */
  routes: z.array(routeSchema).default([]),
  quietHours: z.array(quietHoursSchema).default([]),
  /** every chat channel's pacing (gateway/channels/pacing.ts), whoever sends: alone while the minute's budget is under half used, merged into digests past that */
  pacing: z
    .strictObject({
      /** how long waiting alerts gather before they go as one digest */
      digestEveryMs: z.number().int().min(100).default(10_000),
      /** the longest mute a console user may set */
      maxMuteHours: z.number().positive().default(168),
    })
    .prefault({}),
  /** every chat channel's retry and timeout, whoever sends (gateway/channels) */
  retry: retrySchema.prefault({}),
  evidence: z
    .strictObject({
      /** fetch snapshotUrl / clipUrl of a throw event and keep the bytes when their SHA-256 matches */
      fetch: z.boolean().default(true),
      maxBytes: z.number().int().min(1_024).default(50 * 1024 * 1024),
      fetchTimeoutMs: z.number().int().min(100).default(10_000),
    })
    .prefault({}),
  /** the time zone of times in messages and on the console */
  timeZone: z.string().default("Asia/Shanghai"),
  /** the console's address as staff reach it, for a link in webhook messages (e.g. http://10.0.0.5:8080/) */
  publicUrl: z.string().url().optional(),
  /** resolved alerts are kept this long for the history view and audits */
  historyDays: z.number().positive().default(400),
  console: consoleConfigSchema.prefault({}),
}).superRefine((cfg, ctx) => {
  // a rule naming a webhook or a type that does not exist would silently route nothing
  const names = new Set(cfg.webhooks.map((h, i) => channelName("alerts", h, i)));
  const knownTypes = Object.keys(typeNames);
  const checkTypes = (types: string[] | undefined, path: (string | number)[]) =>
    types?.forEach((t, i) => {
      const ok = t.endsWith("*") ? knownTypes.some((k) => k.startsWith(t.slice(0, -1))) : knownTypes.includes(t);
      if (!ok) ctx.addIssue({ code: "custom", path: [...path, i], message: `no alert type ${t}` });
    });
  cfg.routes.forEach((r, i) => {
    r.to.forEach((to, j) => {
      if (!names.has(to)) ctx.addIssue({ code: "custom", path: ["routes", i, "to", j], message: `no webhook named ${to} (alerts.webhooks: ${[...names].join(", ") || "none"})` });
    });
    checkTypes(r.types, ["routes", i, "types"]);
  });
  cfg.quietHours.forEach((q, i) => checkTypes(q.types, ["quietHours", i, "types"]));
  if (names.size < cfg.webhooks.length) ctx.addIssue({ code: "custom", path: ["webhooks"], message: "webhook names must be unique" });
});

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;
