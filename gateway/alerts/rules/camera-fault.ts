import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ state: z.enum(["stalled", "failed"]) });

/** An RTSP lift camera sends nothing: its lift is not guarded (the guard never holds on a stale camera) until it streams again. */
export const cameraFaultAlert = defineAlertType({
  names: { camera_fault: { zh: "电梯摄像头故障", en: "Lift camera fault" } },
  details,
  // ffmpeg's own words (redacted) name the cause better than a template: wrong password, no route, no frames
  text: () => undefined,
  onCameraStatus(s, cfg) {
    const key = `camera_fault:${s.lift}`;
    if (s.state === "streaming") return [{ resolve: key, note: s.detail }];
    if (!cfg.rules.cameraFault) return [];
    return [
      raise({
        type: "camera_fault",
        dedupKey: key,
        severity: cfg.severity.cameraFault,
        place: { site: s.site, kind: "lift", device: s.lift },
        summary: s.detail,
        details: { state: s.state } satisfies z.infer<typeof details>,
        evidence: [],
        ts: s.ts,
      }),
    ];
  },
});
