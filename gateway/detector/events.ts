import type { FrameRejectReason } from "./reject.ts";
import type { ModelProblem } from "./store.ts";
import type { Detection } from "./types.ts";

/** `lift.detection`: the detector's verdict on one lift frame. */
export interface LiftDetection {
  site: string;
  lift: string;
  /** when the verdict was reached (epoch ms) */
  ts: number;
  /** the frame's time: the camera's when it sent one, else the gateway's receive time */
  frameTs: number;
  seq?: number;
  model: string;
  /** an e-bike class detection passed the threshold */
  ebike: boolean;
  /** best e-bike class score, including near misses below the threshold (0 when none) */
  ebikeScore: number;
  threshold: number;
  detections: Detection[];
  frameWidth: number;
  frameHeight: number;
  inferenceMs: number;
  /** frame bytes to verdict, without the time spent waiting in the queue */
  totalMs: number;
  /** this lift's frames dropped as stale (or for a full queue) since its previous verdict */
  dropped: number;
  /** the frame itself, attached when any e-bike candidate scored (config `detector.evidence`) */
  evidence?: { image: Buffer; format: "jpeg" | "png" };
}

/**
 * `lift.detector.fault`: frames are not being judged. scope "detector": no frame of any lift will be
 * judged until the gateway restarts with a working model. scope "frame": this one frame of this
 * lift was not judged. A consumer must never read either as "no e-bike".
 */
export type DetectorFaultReason = ModelProblem | "model_loading" | "model_invalid" | "inference_failed" | FrameRejectReason;

export interface DetectorFault {
  ts: number;
  scope: "detector" | "frame";
  reason: DetectorFaultReason;
  detail: string;
  model: string;
  site?: string;
  lift?: string;
  seq?: number;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "lift.detection": LiftDetection;
    "lift.detector.fault": DetectorFault;
  }
}
