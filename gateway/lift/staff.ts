import { z } from "zod";

/** A staff command to the guard of one lift, from MQTT or HTTP. */
export const staffCommandSchema = z
  .strictObject({
    action: z.enum(["release", "disable", "enable"]),
    /** disable only: for how long */
    minutes: z.number().positive().optional(),
    /** who asked: required, it goes to the audit log */
    by: z.string().trim().min(1).max(200),
    /** echoed in the response, so a client can match it */
    requestId: z.string().max(200).optional(),
    /** MQTT only: where to publish the response (default: the lift's guard result topic); the command gate has checked it */
    responseTopic: z.string().max(500).optional(),
    /** release only: was there an e-bike? "no_ebike" marks a false hold; both label the hold's frames for site learning */
    verdict: z.enum(["ebike", "no_ebike"]).optional(),
    /** the hold a verdict is about, for a hold that has already ended (default: the lift's current hold) */
    holdId: z.string().max(200).optional(),
  })
  .refine((c) => c.verdict === undefined || c.action === "release", { message: "a verdict goes with a release only", path: ["verdict"] })
  .refine((c) => c.holdId === undefined || c.verdict !== undefined, { message: "a holdId goes with a verdict only", path: ["holdId"] });
export type StaffCommand = z.infer<typeof staffCommandSchema>;

/** The body of every answer, whether it goes out over MQTT or HTTP. */
export interface StaffResponse {
  ok: boolean;
  lift: string;
  action?: StaffCommand["action"];
  requestId?: string;
  /** what happened: "released hold <id>", "no hold to release", "disabled until ...", ... */
  result?: string;
  error?: string;
  disabledUntil?: number;
  /** the hold released, or the one the verdict labelled */
  holdId?: string;
}

/** A command body checked against the schema, or what is wrong with it (`minutes: ...; by: ...`). */
export function parseStaffCommand(body: unknown): { ok: true; command: StaffCommand } | { ok: false; error: string } {
  const parsed = staffCommandSchema.safeParse(body);
  if (parsed.success) return { ok: true, command: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
}
