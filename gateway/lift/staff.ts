import { z } from "zod";

/** A staff command to the guard of one lift, from MQTT or HTTP. */
export const staffCommandSchema = z.strictObject({
  action: z.enum(["release", "disable", "enable"]),
  /** disable only: for how long */
  minutes: z.number().positive().optional(),
  /** who asked: required, it goes to the audit log */
  by: z.string().trim().min(1).max(200),
  /** echoed in the response, so a client can match it */
  requestId: z.string().max(200).optional(),
  /** MQTT only: where to publish the response (default linli/<site>/lift/<id>/guard/result) */
  responseTopic: z.string().max(500).optional(),
});
export type StaffCommand = z.infer<typeof staffCommandSchema>;

export interface StaffResponse {
  ok: boolean;
  lift: string;
  action?: StaffCommand["action"];
  requestId?: string;
  /** what happened: "released hold <id>", "no hold to release", "disabled until ...", ... */
  result?: string;
  error?: string;
  disabledUntil?: number;
}

/** `linli/<site>/lift/+/guard/set`: the request topic; responses go to `.../guard/result`. */
export function staffTopics(site: string): { request: string; result: (liftId: string) => string; liftOf: (topic: string) => string | null } {
  const prefix = `linli/${site}/lift/`;
  return {
    request: `${prefix}+/guard/set`,
    result: (liftId) => `${prefix}${liftId}/guard/result`,
    liftOf: (topic) => {
      if (!topic.startsWith(prefix) || !topic.endsWith("/guard/set")) return null;
      const id = topic.slice(prefix.length, -"/guard/set".length);
      return id.length > 0 && !id.includes("/") ? id : null;
    },
  };
}

/** Parses an HTTP path `/api/lifts/<id>/<action>`. */
export function parseLiftPath(pathname: string): { lift: string; action: string } | null {
  const m = /^\/api\/lifts\/([A-Za-z0-9_.-]+)\/([a-z]+)$/.exec(pathname);
  return m && m[1] && m[2] ? { lift: m[1], action: m[2] } : null;
}
