import { z } from "zod";

/** The OPC UA node of each lift variable; `{lift}` is replaced by the lift id. */
const nodeIdsSchema = z.strictObject({
  door: z.string().default("ns=1;s={lift}.DoorState"),
  moving: z.string().default("ns=1;s={lift}.Moving"),
  direction: z.string().default("ns=1;s={lift}.Direction"),
  floor: z.string().default("ns=1;s={lift}.Floor"),
  mode: z.string().default("ns=1;s={lift}.Mode"),
  holdUntil: z.string().default("ns=1;s={lift}.HoldUntil"),
  announce: z.string().default("ns=1;s={lift}.Announce"),
});
export type LiftNodeIds = z.infer<typeof nodeIdsSchema>;

/** Values a site may set per lift; anything unset falls back to the guard-wide value. */
const perLiftSchema = z.strictObject({
  /** node ids of this lift (only the ones that differ from the pattern) */
  nodeIds: nodeIdsSchema.partial().default({}),
  threshold: z.number().min(0).max(1).nullable().default(null),
  confirmN: z.number().int().min(1).nullable().default(null),
  confirmM: z.number().int().min(1).nullable().default(null),
  /** a lift where the guard never holds (it still records detections and faults) */
  enabled: z.boolean().default(true),
});
export type PerLiftConfig = z.infer<typeof perLiftSchema>;

export const liftConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** how the gateway reaches the lift controller: OPC UA, an MQTT relay box, or nothing (observe only) */
    link: z.enum(["opcua", "relay", "none"]).default("opcua"),
    opcua: z
      .strictObject({
        endpoint: z.string().default("opc.tcp://127.0.0.1:4840/linli-lift-sim"),
        /** node ids used for every lift unless the lift overrides them */
        nodeIds: nodeIdsSchema.prefault({}),
        /** sampling interval asked of the server for the monitored items */
        samplingMs: z.number().int().min(0).default(100),
        /** reconnect backoff: first delay, doubled up to the max */
        reconnectInitialMs: z.number().int().min(50).default(500),
        reconnectMaxMs: z.number().int().min(100).default(10_000),
        /** how often the controller's clock is read again (also on every reconnection) */
        clockCheckMs: z.number().int().min(1_000).default(60_000),
        /** controller and gateway clocks further apart than this raise a lift fault alert, resolved when they agree again */
        maxClockSkewMs: z.number().int().min(100).default(1_000),
      })
      .prefault({}),
    /**
     * Lifts the guard watches from the start (so a missing camera is reported). Lifts not listed
     * are picked up when their first frame or detection arrives.
     */
    lifts: z.record(z.string(), perLiftSchema).default({}),
    /** an e-bike is confirmed when at least N of the last M frames score at or above the threshold */
    confirmN: z.number().int().min(1).default(3),
    confirmM: z.number().int().min(1).default(5),
    /** score threshold; null = the model's default (from its manifest), else 0.5 */
    threshold: z.number().min(0).max(1).nullable().default(null),
    /** each hold write keeps the doors for this long unless renewed; if the gateway dies, the hold lapses after it */
    leaseMs: z.number().int().min(500).max(60_000).default(5_000),
    /** how often a held lease is renewed (must be well below leaseMs) */
    renewMs: z.number().int().min(100).default(1_500),
    /** release once no frame has scored above the threshold for this long */
    clearReleaseMs: z.number().int().min(0).default(3_000),
    /** longest hold; then release and alert staff, and wait for a clear car before holding again */
    maxHoldMs: z.number().int().min(1_000).default(120_000),
    /** no frame for this long = the camera or the detector is down: never hold, raise a fault */
    frameStaleMs: z.number().int().min(200).default(3_000),
    /** lift state older than this (relay mode: from lift/<id>/state messages) is unknown */
    stateStaleMs: z.number().int().min(1_000).default(30_000),
    announcement: z.string().default("电动车禁止进入电梯，请将电动车推出轿厢。E-bikes are not allowed in the lift; please take it out."),
    /** repeat the announcement this often while holding (0 = once) */
    announceRepeatMs: z.number().int().min(0).default(15_000),
    /** longest a staff member may disable the guard on one lift */
    maxDisableMinutes: z.number().int().min(1).default(24 * 60),
    /** staff answering "no e-bike" when releasing this many holds of one lift within the window raise a false_holds alert */
    falseHolds: z
      .strictObject({
        alertAfter: z.number().int().min(1).default(3),
        windowHours: z.number().positive().default(24),
      })
      .prefault({}),
    /** keep the best frame of each hold in the evidence store (deleted after evidence.retentionDays) */
    keepEvidence: z.boolean().default(true),
  })
  .refine((c) => c.confirmN <= c.confirmM, { message: "confirmN must not exceed confirmM", path: ["confirmN"] })
  .refine((c) => c.renewMs * 2 <= c.leaseMs, { message: "renewMs must be at most half of leaseMs, so one lost write does not drop a hold", path: ["renewMs"] });

export type LiftConfig = z.infer<typeof liftConfigSchema>;

/** The node ids of one lift, with `{lift}` filled in. */
export function nodeIdsFor(cfg: LiftConfig, liftId: string): LiftNodeIds {
  const merged = { ...cfg.opcua.nodeIds, ...(cfg.lifts[liftId]?.nodeIds ?? {}) };
  const out = {} as LiftNodeIds;
  for (const key of Object.keys(merged) as (keyof LiftNodeIds)[]) out[key] = (merged[key] ?? "").replaceAll("{lift}", liftId);
  return out;
}
