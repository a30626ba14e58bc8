import { performance } from "node:perf_hooks";
import { resolveEbikeClasses } from "./classmap.ts";
import { decoders } from "./decoders/index.ts";
import { InferencePool } from "./inference-pool.ts";
import { toFrameBox } from "./geometry.ts";
import type { ModelManifest } from "./manifest.ts";
import { nms } from "./nms.ts";
import { preprocess } from "./preprocess.ts";
import type { Candidate, Decoder, Detection } from "./types.ts";
import { combineScores, CropVerifier, type InputPixels } from "./verifier.ts";

export interface DetectorOptions {
  /** onnxruntime intra-op threads, per session */
  threads: number;
  /** sessions (worker threads) of the model, so that frames of different lifts are inferred at once */
  sessions?: number;
  maxInputPixels: number;
  /** class names that count as an e-bike; the manifest's list when absent */
  ebikeClasses?: readonly string[] | undefined;
  scoreThreshold?: number | undefined;
  iouThreshold?: number | undefined;
  /** the verified weights of the manifest's crop verifier, when it has one */
  verifierFile?: string | undefined;
}

export interface DetectResult {
  /** after NMS, scoring at least the threshold, best first */
  detections: Detection[];
  /** true when an e-bike class detection passed the threshold */
  ebike: boolean;
  /**
   * best e-bike class score in the frame, even below the threshold (from EBIKE_SCORE_FLOOR up, else 0),
   * so a consumer reasoning over a window of frames sees near misses too
   */
  ebikeScore: number;
  threshold: number;
  frameWidth: number;
  frameHeight: number;
  /** frame bytes to the model's input tensor */
  preprocessMs: number;
  /** session.run alone, as timed on its worker thread */
  inferenceMs: number;
  /** bytes in to detections out */
  totalMs: number;
}

export const EBIKE_SCORE_FLOOR = 0.05;

/** e-bike calls verified per frame, best first: a lift holds a handful of objects, not dozens */
const MAX_VERIFIED = 16;

/**
 * One loaded model behind the single contract the rest of the gateway sees: frame bytes in,
 * detections in frame pixels out. The manifest's family picks the decoder; nothing above this
 * class knows which model ran.
 */
export class Detector {
  readonly threshold: number;
  readonly #iouThreshold: number;
  /** class indices that count as an e-bike */
  readonly ebikeClasses: ReadonlySet<number>;
  readonly #decode: Decoder;
  readonly #inputName: string;
  readonly #outputName: string;
  #verifier: CropVerifier | undefined;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly pool: InferencePool,
    private readonly options: DetectorOptions,
  ) {
    this.threshold = options.scoreThreshold ?? manifest.thresholds.score;
    this.#iouThreshold = options.iouThreshold ?? manifest.thresholds.iou;
    this.ebikeClasses = resolveEbikeClasses(manifest.labels, options.ebikeClasses ?? manifest.ebikeClasses);
    this.#decode = decoders[manifest.family];
    const inputName = manifest.input.name ?? pool.inputNames[0];
    if (inputName === undefined || !pool.inputNames.includes(inputName)) {
      throw new Error(`model ${manifest.id} has no input "${inputName}" (it has ${pool.inputNames.join(", ")})`);
    }
    this.#inputName = inputName;
    const outputName = pool.outputNames[0];
    if (outputName === undefined) throw new Error(`model ${manifest.id} has no outputs`);
    this.#outputName = outputName;
  }

  /**
   * Opens the weights and runs one blank frame through them, so that a model whose output does not
   * match its manifest fails here, at start, rather than on the first lift frame.
   */
  static async load(manifest: ModelManifest, modelPath: string, options: DetectorOptions): Promise<Detector> {
    const pool = await InferencePool.open(modelPath, { size: options.sessions ?? 1, threads: options.threads });
    let detector: Detector | undefined;
    try {
      detector = new Detector(manifest, pool, options);
      const { width, height } = manifest.input;
      await detector.#infer(new Float32Array(3 * width * height));
      if (manifest.verifier) {
        if (!options.verifierFile) throw new Error(`model ${manifest.id} names a verifier (${manifest.verifier.file}) but none was given to load`);
        detector.#verifier = await CropVerifier.load(options.verifierFile, manifest.verifier, manifest.input, options.threads);
      }
      return detector;
    } catch (err) {
      await (detector ? detector.close() : pool.close());
      throw err;
    }
  }

  /** Runs the model (on a worker thread) and decodes its output; candidates are in model-input pixels. */
  async #infer(tensor: Float32Array, minScore = 1) {
    const { width, height } = this.manifest.input;
    const output = await this.pool.run(this.#inputName, this.#outputName, tensor, [1, 3, height, width]);
    const candidates = this.#decode(output, { inputWidth: width, inputHeight: height, numClasses: this.manifest.labels.length, minScore });
    return { candidates, inferenceMs: output.ms };
  }

  /**
   * Judges one frame. Throws FrameRejected for a frame that cannot be read (the caller counts it);
   * any other error is a fault of the detector. `threshold` overrides the configured one (eval).
   */
  async detect(image: Buffer, threshold = this.threshold): Promise<DetectResult> {
    const started = performance.now();
    const { tensor, fit, pixels } = await preprocess(image, this.manifest.input, this.options.maxInputPixels);
    const preprocessMs = performance.now() - started;
    const inferred = await this.#infer(tensor, Math.min(threshold, EBIKE_SCORE_FLOOR));
    const { inferenceMs } = inferred;
    const candidates = this.#verifier ? await this.#verify(this.#verifier, inferred.candidates, pixels, threshold) : inferred.candidates;
    let ebikeScore = 0;
    const kept: Detection[] = [];
    for (const c of candidates) {
      const box = toFrameBox(c, fit);
      // a box wholly inside the letterbox padding is nothing in the frame: it scores nothing
      if (box.w <= 0 || box.h <= 0) continue;
      const ebike = this.ebikeClasses.has(c.cls);
      if (ebike) ebikeScore = Math.max(ebikeScore, c.score);
      if (c.score < threshold) continue;
      kept.push({ cls: c.cls, label: this.manifest.labels[c.cls] ?? String(c.cls), score: c.score, box, ebike });
    }
    const detections = nms(kept, this.#iouThreshold);
    return {
      detections,
      ebike: detections.some((d) => d.ebike),
      ebikeScore,
      threshold,
      frameWidth: fit.frameWidth,
      frameHeight: fit.frameHeight,
      preprocessMs,
      inferenceMs,
      totalMs: performance.now() - started,
    };
  }

  /**
   * The e-bike calls, scored again with the verifier: each call's score becomes the combined one.
   * Calls below threshold squared cannot reach the threshold whatever the verifier says, so they are
   * not verified and drop out, as do calls past MAX_VERIFIED.
   */
  async #verify(verifier: CropVerifier, candidates: Candidate[], pixels: InputPixels, threshold: number): Promise<Candidate[]> {
    const from = Math.max(EBIKE_SCORE_FLOOR, threshold * threshold);
    const calls = nms(
      candidates.filter((c) => this.ebikeClasses.has(c.cls) && c.score >= from).map((c) => ({ ...c, box: { x: c.x1, y: c.y1, w: c.x2 - c.x1, h: c.y2 - c.y1 } })),
      this.#iouThreshold,
      MAX_VERIFIED,
    );
    const { scores } = await verifier.score(pixels, calls);
    const verified = calls.map(({ box: _box, ...c }, i) => ({ ...c, score: combineScores(c.score, scores[i]!) }));
    return [...candidates.filter((c) => !this.ebikeClasses.has(c.cls)), ...verified];
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.#verifier?.close()]);
  }
}
