import { z } from "zod";

const place = z.strictObject({
  /** the building number as staff say it ("3" for 3号楼) */
  building: z.string().min(1).max(32).optional(),
  /** where in it: "1单元 地下车库", "东门" */
  label: z.string().min(1).max(64).optional(),
});

export const devicesPageConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** how often online devices are checked for silence (their kind's silentAfterMs, as the device_silent alert) */
  checkMs: z.number().int().min(100).default(5_000),
  /** Grafana as staff reach it (http://10.0.0.5:3000); without it the page shows no board links */
  grafanaUrl: z.url().optional(),
  /** device kind -> the uid of its Grafana board (dashboards/*.json) */
  boards: z.record(z.string(), z.string().min(1)).default({ lift: "linli-lifts", gate: "linli-gates", charger: "linli-chargers", throw: "linli-throws" }),
  /** device id -> where it is, for devices whose messages do not say (a throw camera's events name its building) */
  places: z.record(z.string(), place).default({}),
});

export type DevicesPageConfig = z.infer<typeof devicesPageConfigSchema>;
export type Place = z.infer<typeof place>;
