import { z } from "zod";
import { chargerAlarmTypes } from "../../devices/charger.ts";

export const chargersConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** charger alarm types on which linli cuts the alarming port (port_off) */
  cutOn: z.array(z.enum(chargerAlarmTypes)).default(["smoke", "over_temp"]),
  /** how long to wait for a charger's ack before sending the command again */
  ackTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
  /** how many times an unacknowledged command is sent again before linli gives up and raises an alert */
  retries: z.number().int().min(0).max(20).default(3),
  /** a command's expiresAt is this far after it is sent: a charger refuses one that arrives later */
  commandTtlMs: z.number().int().min(1_000).max(300_000).default(10_000),
});

export type ChargersConfig = z.infer<typeof chargersConfigSchema>;
