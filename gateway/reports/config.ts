import { z } from "zod";

/** "HH:MM" in the site's time zone ("HH:MM:SS" too, for a schedule a test can wait for) */
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, "expected HH:MM (or HH:MM:SS)");

export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

/**
 * A chat group the summary goes to, by the name of a channel configured with the others
 * (alerts.webhooks and the like, gateway/channels): its robot's budget is shared with alerts and
 * work orders. A group that should get only reports is an alerts webhook with `events: []`.
 */
const chatSchema = z.strictObject({
  channel: z.string().min(1),
  /** which summaries this group gets */
  reports: z.array(z.enum(["day", "week"])).min(1).default(["day", "week"]),
});

export const reportsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** the time zone of days, weeks and schedule times; absent: alerts.timeZone */
  timeZone: z.string().optional(),
  /** the language of the files and the summaries the schedule sends */
  language: z.enum(["zh", "en"]).default("zh"),
  /** when yesterday's report is built and sent; null: not on a schedule */
  daily: timeOfDay.nullable().default("08:00"),
  /** when last week's (Monday to Sunday) report is built and sent; null: not on a schedule */
  weekly: z.strictObject({ day: z.enum(WEEKDAYS), at: timeOfDay }).nullable().default({ day: "monday", at: "08:00" }),
  chats: z.array(chatSchema).default([]),
  /** scheduled reports' files are kept this long under the data dir */
  keepDays: z.number().int().min(1).max(3_650).default(400),
  /** a device silent this long before the end of the period counts as offline (the overview board's 5 min) */
  offlineAfterMinutes: z.number().positive().default(5),
});

export type ReportsConfig = z.infer<typeof reportsConfigSchema>;
