import { z } from "zod";

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
    })
    .prefault({}),
});
export type PushConfig = z.infer<typeof pushConfigSchema>;
