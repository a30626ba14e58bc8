import { z } from "zod";
import { isRtspUrl } from "./rtsp-url.ts";

/** A lift id as the topic layout allows it (gateway/ingest/topic.ts), so both paths name lifts alike. */
const liftId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "letters, digits and . _ : - only, at most 64");

const cameraSchema = z.strictObject({
  /** rtsp://user:pass@host:554/path; `${env:NAME}` keeps the password out of the file */
  url: z.string().refine(isRtspUrl, "must be an rtsp:// or rtsps:// URL with a host"),
});

/** The `cameras` section: lifts whose camera is read over RTSP instead of publishing frames to MQTT (docs/cameras.md). */
export const camerasConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  lifts: z.record(liftId, cameraSchema).default({}),
  /** the frame width the detector gets; the height keeps the camera's aspect */
  width: z.number().int().min(64).max(4096).default(640),
  /** ffmpeg's JPEG quality scale: 2 is best, 31 worst */
  jpegQuality: z.number().int().min(2).max(31).default(5),
  fps: z
    .strictObject({
      /** doors open or opening, car stopped, normal mode: every frame counts */
      open: z.number().positive().max(30).default(5),
      /** any other car state, or none known: enough to see the camera is alive */
      idle: z.number().positive().max(30).default(0.5),
    })
    .refine((f) => f.idle <= f.open, { message: "fps.idle must not exceed fps.open", path: ["idle"] })
    .prefault({}),
  /** no frame for this long is a stalled camera: ffmpeg is killed and started again */
  staleMs: z.number().int().min(500).default(10_000),
  /** waits before restarting ffmpeg after a fault, doubling from minMs up to maxMs; a frame resets it */
  backoff: z
    .strictObject({
      minMs: z.number().int().min(10).default(1_000),
      maxMs: z.number().int().min(10).default(60_000),
    })
    .refine((b) => b.minMs <= b.maxMs, { message: "backoff.minMs must not exceed backoff.maxMs", path: ["minMs"] })
    .prefault({}),
});

export type CamerasConfig = z.infer<typeof camerasConfigSchema>;
