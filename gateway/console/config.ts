import { z } from "zod";
import { isScryptHash } from "../security/password.ts";
import { STAFF_ROLES } from "../staff/desk.ts";

const accountSchema = z.strictObject({
  user: z.string().min(1).max(64),
  /** `scrypt$N$r$p$salt$hash` from `linli console hash-password` */
  passwordHash: z.string().refine(isScryptHash, "expected a hash from `linli console hash-password`"),
  /** a name shown in the audit trail; defaults to user */
  displayName: z.string().max(64).optional(),
  /**
   * guard: alerts, holds and labelling; technician: their own work orders; supervisor: alerts and every
   * work order, sign-off included; administrator: all of that, accounts, deleting frames, promoting
   * models. An account without one is a guard (what every account was before roles).
   */
  role: z.enum(STAFF_ROLES).default("guard"),
});

/** The console's logins (config key `alerts.console`: the alerts feature serves the console). */
export const consoleConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  accounts: z.array(accountSchema).default([]),
  sessionTtlMinutes: z.number().positive().default(720),
  /** the console's default language; `?lang=en` or the toggle overrides it per browser */
  language: z.enum(["zh", "en"]).default("zh"),
});

export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
