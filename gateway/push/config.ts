import { z } from "zod";
import { dahuaConfigSchema } from "./dahua-config.ts";
import { DIGEST_ALGORITHMS } from "./digest.ts";
import { webhooksSchema } from "./webhook-config.ts";

const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, "an address block like 192.168.10.0/24 or ::1/128");

/** `push:` HTTP push ingest (gateway/push): vendors' devices that POST their events to the gateway. */
export const pushConfigSchema = z.strictObject({
  /** off unless set: an HTTP ingest is opened on the gateway's HTTP server */
  enabled: z.boolean().default(false),
  /** addresses allowed to push (CIDR blocks); default loopback only */
  allow: z.array(cidr).default(["127.0.0.1/32", "::1/128"]),
  /** cap on one request's body (XML and pictures together), checked while it streams */
  maxBytes: z.number().int().min(1_024).default(4 * 1_048_576),
  hikvision: z
    .strictObject({
      path: z.string().startsWith("/").default("/push/hikvision"),
      /** ISAPI ANPR `direction` -> the gate event's direction; an unmapped value is refused */
      direction: z.record(z.string(), z.enum(["in", "out"])).default({ forward: "in", reverse: "out" }),
      /** ISAPI `vehicleListName` values that mean the gate let the car in (granted: true) */
      grantedLists: z.array(z.string()).default(["allowList", "whiteList"]),
      /** AccessControllerEvent `doorNo` -> the gate event's direction; a door not listed is `in` */
      doors: z.record(z.string(), z.enum(["in", "out"])).default({}),
      /** event types a throw camera's alert becomes a throw event on (its firmware's throw-detection type goes here) */
      throwEvents: z.array(z.string().min(1)).default(["linedetection", "fielddetection"]),
      /** throw camera device id -> the building it watches; else the alert's channelName */
      buildings: z.record(z.string(), z.string().min(1).max(32)).default({}),
    })
    .prefault({}),
  /** HTTP Digest login (RFC 7616) for devices whose registry entry has `httpDigest` verifiers */
  digest: z
    .strictObject({
      /** part of every verifier: changing it needs new verifiers (`linli devices add --http-digest`) */
      realm: z.string().min(1).regex(/^[^"\\]+$/, "no quotes or backslashes").default("linli"),
      algorithms: z.array(z.enum(DIGEST_ALGORITHMS)).min(1).default([...DIGEST_ALGORITHMS]),
      nonceTtlMs: z.number().int().min(10_000).default(300_000),
    })
    .prefault({}),
  /** generic JSON webhooks: POST /push/webhook/<name>, each with its field mapping */
  webhooks: webhooksSchema,
  /** Dahua devices: event streams the gateway attaches to, and ITC cameras' picture uploads (gateway/push/dahua-*.ts) */
  dahua: dahuaConfigSchema,
});
export type PushConfig = z.infer<typeof pushConfigSchema>;
