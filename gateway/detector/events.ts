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
  /** frame received -> judging started: the time spent waiting in the detector's queue */
  waitMs: number;
  /** decoding and resizing the frame into the model's input */
  preprocessMs: number;
  inferenceMs: number;
  /** frame bytes to verdict, without the time spent waiting in the queue */
  totalMs: number;
  /** this lift's frames dropped as stale (or for a full queue) since its previous verdict */
  dropped: number;
  /** the frame itself, attached when any e-bike candidate scored (config `detector.evidence`) */
  evidence?: { image: Buffer; format: "jpeg" | "png" };
}

/**
 * `lift.detection.shadow`: a candidate model's verdict on a live frame the active model has judged
 * (`detector.shadow`, or `shadow` in `<modelsDir>/active.json`). It holds nothing: the lift guard
 * listens only to `lift.detection`. The frame is always attached, so a console can show the
 * frames the two models disagree on.
 */
export interface ShadowDetection extends LiftDetection {
  evidence: NonNullable<LiftDetection["evidence"]>;
}

/**
 * `detector.model`: active.json asked for another model. ok: `to` loaded, passed its test run and
 * judges every frame from now on (frames already on `from` finish there). Not ok: `from` judges on
 * and `detail` says why; when active.json itself cannot be read, `to` is `from`.
 */
export interface DetectorModelChange {
  ts: number;
  from: string;
  to: string;
  ok: boolean;
  detail: string;
}

/** `detector.shadow`: the shadow model changed (null: none). Not ok: `to` did not load, and no shadow runs. */
export interface DetectorShadowChange {
  ts: number;
  from: string | null;
  to: string | null;
  ok: boolean;
  detail: string;
}

/**
 * `lift.detector.fault`: frames are not being judged. scope "detector": no frame of any lift will be
 * judged until a working model loads (a restart, or active.json naming one). scope "frame": this one
 * frame of this lift was not judged. A consumer must never read either as "no e-bike".
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
    "lift.detection.shadow": ShadowDetection;
    "detector.model": DetectorModelChange;
    "detector.shadow": DetectorShadowChange;
  }
}
