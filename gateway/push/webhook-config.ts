import { z } from "zod";
import { deviceKinds } from "../../devices/index.ts";
import type { Channel } from "../../devices/types.ts";

/**
 * `push.webhooks.<name>`: a generic JSON webhook (POST /push/webhook/<name>) and where in the
 * posted JSON each part of a canonical message is. Checked at start against the device kinds, so
 * a misspelt field or kind is a config error naming its key, not a push refused at 3 a.m.
 */

/** `$`, then `.name` or `[index]` steps: `$.event.plate`, `$.pictures[0].id` */
export const JSON_PATH = /^\$((\.[A-Za-z_][A-Za-z0-9_-]*)|(\[\d+\]))*$/;
const jsonPath = z.string().regex(JSON_PATH, "a JSON path like $.event.plate or $.list[0].id");
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A canonical field's source: a path; a path with a value map and/or a scale; or a constant. */
export const fieldSourceSchema = z.union([
  jsonPath,
  z.strictObject({
    path: jsonPath,
    /** vendor value -> canonical value, e.g. { entry: in, exit: out }; a value not listed is passed on as it is */
    map: z.record(z.string(), scalar).optional(),
    /** numbers are multiplied by this, e.g. 0.01 for a 0–100 confidence */
    scale: z.number().optional(),
  }),
  z.strictObject({ const: scalar }),
]);
export type FieldSource = z.infer<typeof fieldSourceSchema>;

const webhookSchema = z.strictObject({
  /** the device kind, or a JSON path to it */
  kind: z.string().min(1),
  /** the kind's channel, or a JSON path to it */
  channel: z.string().min(1).default("event"),
  /** the device id in the JSON; it must be the device that logged in (else device_mismatch) */
  deviceId: jsonPath.optional(),
  /** the event time: epoch ms, epoch seconds or ISO 8601 */
  ts: jsonPath.optional(),
  eventId: fieldSourceSchema.optional(),
  /** canonical field -> its source */
  fields: z.record(z.string(), fieldSourceSchema).default({}),
});
export type WebhookConfig = z.infer<typeof webhookSchema>;

const isPath = (s: string) => s.startsWith("$");

/** Top-level field names of a JSON channel's schema (each option of a union). */
function schemaKeys(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(schemaKeys);
  return [];
}

/** The JSON channels a mapping may produce: one when kind and channel are named, all that match otherwise. */
function channelsOf(w: WebhookConfig): Array<{ kind: string; name: string; channel: Channel<unknown> }> {
  return deviceKinds
    .filter((k) => isPath(w.kind) || k.kind === w.kind)
    .flatMap((k) => Object.entries(k.channels).map(([name, channel]) => ({ kind: k.kind, name, channel: channel as Channel<unknown> })))
    .filter((c) => (isPath(w.channel) || c.name === w.channel) && c.channel.encoding === "json");
}

export const webhooksSchema = z
  .record(z.string().regex(/^[a-z0-9_-]{1,32}$/, "a webhook name: a-z, 0-9, _ and - (1-32)"), webhookSchema)
  .default({})
  .superRefine((hooks, ctx) => {
    for (const [name, w] of Object.entries(hooks)) {
      if (!isPath(w.kind) && !deviceKinds.some((k) => k.kind === w.kind)) {
        ctx.addIssue({ code: "custom", path: [name, "kind"], message: `no device kind "${w.kind}" (${deviceKinds.map((k) => k.kind).join(", ")})` });
        continue;
      }
      const channels = channelsOf(w);
      if (channels.length === 0) {
        ctx.addIssue({ code: "custom", path: [name, "channel"], message: `no JSON channel "${w.channel}" of ${w.kind}` });
        continue;
      }
      const keys = new Set(channels.flatMap((c) => (c.channel.encoding === "json" ? schemaKeys(c.channel.schema) : [])));
      for (const field of Object.keys(w.fields)) {
        if (!keys.has(field)) ctx.addIssue({ code: "custom", path: [name, "fields", field], message: `not a field of ${channels.map((c) => `${c.kind}/${c.name}`).join(", ")} (${[...keys].join(", ")})` });
        else if (field === "ts" || field === "eventId" || field === "deviceId") ctx.addIssue({ code: "custom", path: [name, "fields", field], message: `give ${field} as push.webhooks.${name}.${field}` });
      }
    }
  });
