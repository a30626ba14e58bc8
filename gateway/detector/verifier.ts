import { InferencePool } from "./inference-pool.ts";
import type { InputContract, ManifestFile } from "./manifest.ts";
import type { Candidate } from "./types.ts";

export type VerifierContract = NonNullable<ManifestFile["verifier"]>;

/** The frame as the detector saw it: interleaved RGB bytes of the model input. */
export interface InputPixels {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * The detector and the verifier must both agree: the geometric mean of their scores, so that a
 * threshold keeps its meaning (0.5 and 0.5 give 0.5). As training/linli_train/verifier.py combine.
 */
export const combineScores = (detector: number, verifier: number): number => Math.sqrt(Math.max(0, detector) * Math.max(0, verifier));

/**
 * Crops of the model input at candidate boxes, each widened by `context` of its size on every side,
 * clipped to the input and stretched to size x size, as planar float32 in the detector's channel
 * order and scale. Bilinear sampling at the output pixels' centres, clamped at the edges: what
 * torchvision's roi_align (aligned, one sample per bin) does in training, so the verifier sees here
 * what it learnt on. No second JPEG decode: the crop comes from pixels already decoded.
 */
export function cropTensor(pixels: InputPixels, boxes: readonly Candidate[], size: number, context: number, input: Pick<InputContract, "channels" | "divideBy">): Float32Array {
  const { rgb, width, height } = pixels;
  const plane = size * size;
  const out = new Float32Array(boxes.length * 3 * plane);
  const scale = 1 / input.divideBy;
  // the output plane of each of R, G and B
  const planeOf = input.channels === "bgr" ? [2, 1, 0] : [0, 1, 2];
  boxes.forEach((box, n) => {
    const bw = box.x2 - box.x1;
    const bh = box.y2 - box.y1;
    const x1 = Math.min(width, Math.max(0, box.x1 - context * bw));
    const y1 = Math.min(height, Math.max(0, box.y1 - context * bh));
    const x2 = Math.min(width, Math.max(0, box.x2 + context * bw));
    const y2 = Math.min(height, Math.max(0, box.y2 + context * bh));
    const stepX = (x2 - x1) / size;
    const stepY = (y2 - y1) / size;
    const base = n * 3 * plane;
    for (let j = 0; j < size; j++) {
      const y = Math.min(height - 1, Math.max(0, y1 - 0.5 + (j + 0.5) * stepY));
      const y0 = Math.floor(y);
      const yn = Math.min(height - 1, y0 + 1);
      const fy = y - y0;
      for (let i = 0; i < size; i++) {
        const x = Math.min(width - 1, Math.max(0, x1 - 0.5 + (i + 0.5) * stepX));
        const x0 = Math.floor(x);
        const xn = Math.min(width - 1, x0 + 1);
        const fx = x - x0;
        const p00 = (y0 * width + x0) * 3;
        const p01 = (y0 * width + xn) * 3;
        const p10 = (yn * width + x0) * 3;
        const p11 = (yn * width + xn) * 3;
        const at = base + j * size + i;
        for (let c = 0; c < 3; c++) {
          const top = rgb[p00 + c]! + (rgb[p01 + c]! - rgb[p00 + c]!) * fx;
          const bottom = rgb[p10 + c]! + (rgb[p11 + c]! - rgb[p10 + c]!) * fx;
          out[at + planeOf[c]! * plane] = (top + (bottom - top) * fy) * scale;
        }
      }
    }
  });
  return out;
}

/**
 * The second stage a trained model may ship with (manifest `verifier`): a crop classifier that
 * scores each box the detector calls an e-bike, trained on the detector's own mistakes at the site
 * (look-alikes, frames released as false holds). Runs on its own worker thread, all of a frame's
 * crops in one batch.
 */
export class CropVerifier {
  private constructor(
    private readonly pool: InferencePool,
    readonly contract: VerifierContract,
    private readonly input: InputContract,
  ) {}

  static async load(file: string, contract: VerifierContract, input: InputContract, threads: number): Promise<CropVerifier> {
    const pool = await InferencePool.open(file, { size: 1, threads });
    const verifier = new CropVerifier(pool, contract, input);
    try {
      // a verifier whose input or output does not fit its manifest fails at load, not on a lift frame
      const blank = { rgb: new Uint8Array(input.width * input.height * 3), width: input.width, height: input.height };
      const scores = await verifier.score(blank, [{ cls: 0, score: 1, x1: 0, y1: 0, x2: input.width, y2: input.height }]);
      if (scores.scores.length !== 1) throw new Error(`verifier ${file} answered ${scores.scores.length} scores for 1 crop`);
      return verifier;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /** p(e-bike) for each box, in order, and the time session.run took. */
  async score(pixels: InputPixels, boxes: readonly Candidate[]): Promise<{ scores: number[]; ms: number }> {
    if (boxes.length === 0) return { scores: [], ms: 0 };
    const { size, context } = this.contract;
    const tensor = cropTensor(pixels, boxes, size, context, this.input);
    const [inputName] = this.pool.inputNames;
    const [outputName] = this.pool.outputNames;
    if (inputName === undefined || outputName === undefined) throw new Error("verifier has no input or output");
    const out = await this.pool.run(inputName, outputName, tensor, [boxes.length, 3, size, size]);
    if (out.data.length !== boxes.length) throw new Error(`verifier output has ${out.data.length} values for ${boxes.length} crops (shape [${out.dims.join(",")}])`);
    return { scores: Array.from(out.data), ms: out.ms };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
