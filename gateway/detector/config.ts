import { z } from "zod";

/** The `detector` section of the gateway's YAML config. Every key has a default: `{}` is valid. */
export const detectorConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** a manifest id: built-in (models/) or the site's own in `modelsDir`; `<modelsDir>/active.json`, once written, replaces it */
  model: z.string().default("fastestdet-coco-352"),
  /**
   * a candidate model that judges the same frames beside the active one and holds nothing, so it can
   * be compared on live frames before promotion; `<modelsDir>/active.json`, once written, replaces it
   */
  shadow: z.string().optional(),
  /** where weights are kept and fetched to, and where a site's own manifests go; relative to the working directory */
  modelsDir: z.string().default("data/models"),
  /** a directory with the weights, used instead of downloading (offline sites, CI) */
  mirror: z.string().optional(),
  /** download (or copy from the mirror) the model on first use when it is missing */
  autoFetch: z.boolean().default(true),
  /** onnxruntime intra-op threads per session */
  threads: z.number().int().min(1).max(64).default(1),
  /**
   * frames judged at the same time across all lifts (one per lift at most); each has its own model
   * session on its own worker thread, so inference never runs on the event loop
   */
  concurrency: z.number().int().min(1).max(16).default(2),
  /** lifts that may wait with a frame at once; beyond it new frames are dropped and counted */
  maxQueuedLifts: z.number().int().min(1).max(10_000).default(64),
  /** class names that count as an e-bike, replacing the manifest's (e.g. ["motorbike"] where pedal bicycles are allowed) */
  ebikeClasses: z.array(z.string().min(1)).min(1).optional(),
  /** replaces the manifest's default score threshold; choose it with `linli models eval` */
  scoreThreshold: z.number().min(0).max(1).optional(),
  iouThreshold: z.number().min(0).max(1).optional(),
  /** frames over this many pixels are rejected before decoding (default: 3840x2160) */
  maxInputPixels: z.number().int().min(1).default(3840 * 2160),
  /**
   * a lift whose car cannot be held (doors closed, moving, not in normal mode) has one frame judged
   * per this interval; keep it below lift.frameStaleMs (3 s), which reads a longer gap as a dead camera
   */
  idleJudgeMs: z.number().int().min(0).max(2_500).default(1_000),
  /** attach the frame's bytes to a detection event with any e-bike candidate, for evidence */
  evidence: z.boolean().default(true),
});

export type DetectorConfig = z.infer<typeof detectorConfigSchema>;
