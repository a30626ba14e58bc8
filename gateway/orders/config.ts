import { z } from "zod";
import { channelTargetSchema } from "../channels/config.ts";

/** a chat channel (gateway/channels/config.ts): a robot, a JSON webhook or an MQTT topic; the same URL as an alert channel is the same channel, one budget */
const hookSchema = channelTargetSchema;
export type OrderHook = z.infer<typeof hookSchema>;

export const ordersConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** minutes from creation to the due time, per type (the SLA) */
  slaMinutes: z
    .strictObject({
      repair: z.number().positive().default(240),
      inspection: z.number().positive().default(1_440),
      incident: z.number().positive().default(60),
      complaint: z.number().positive().default(1_440),
    })
    .prefault({}),
  /** alert types that open a work order by themselves when they open (one click on the orders page otherwise) */
  autoCreate: z
    .strictObject({
      chargerAlarms: z.boolean().default(false),
      liftFault: z.boolean().default(false),
      deviceSilent: z.boolean().default(false),
      throw: z.boolean().default(false),
    })
    .prefault({}),
  escalation: z
    .strictObject({
      /** an overdue order reminds its assignee at its due time, and tells the supervisor this much later */
      supervisorAfterMinutes: z.number().min(0).default(60),
      checkMs: z.number().int().min(100).default(30_000),
      /**
       * where reminders go (the assignee's group); empty: the alert channels (`alerts.webhooks`).
       * MQTT gets every change on `linli/<site>/orders/<id>` as well.
       */
      webhooks: z.array(hookSchema).default([]),
      /** where the supervisor is told; empty: the alert escalation channels (`alerts.escalation.webhooks`) */
      supervisorWebhooks: z.array(hookSchema).default([]),
    })
    .prefault({}),
  /** the largest photo a phone may upload */
  maxPhotoBytes: z.number().int().min(1_024).default(15 * 1024 * 1024),
});

export type OrdersConfig = z.infer<typeof ordersConfigSchema>;
export type OrdersConfigInput = z.input<typeof ordersConfigSchema>;
