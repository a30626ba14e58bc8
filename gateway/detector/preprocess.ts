import { fitFrame, type Fit } from "./geometry.ts";
import type { InputContract } from "./manifest.ts";
import { FrameRejected } from "./reject.ts";
import type { InputPixels } from "./verifier.ts";
import { loadSharp } from "../sharp.ts";

export interface Preprocessed {
  /** NCHW float32, [1, 3, input.height, input.width] */
  tensor: Float32Array;
  fit: Fit;
  /** the same pixels as bytes, for a second stage that crops them */
  pixels: InputPixels;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Frame bytes to the model's input tensor. The header is read first, so an oversized frame is
 * refused before a pixel is decoded. Then one sharp pipeline: decode with shrink-on-load (libjpeg
 * scales by 1/2, 1/4 or 1/8 while decoding, which is most of the saving on a 720p or 1080p frame),
 * one resize, the letterbox padding, raw RGB out. Only the layout change is done in JS.
 *
 * An embedded ICC profile is ignored: the trainer reads frames with PIL, which takes the stored
 * values as they are, so the model has only ever seen those; and colour-managing a tagged frame
 * costs about twice its decode.
 */
export async function preprocess(image: Buffer, input: InputContract, maxPixels: number): Promise<Preprocessed> {
  if (image.length === 0) throw new FrameRejected("empty", "zero-byte frame");
  const sharp = await loadSharp();
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(image, { ignoreIcc: true }).metadata());
  } catch (err) {
    throw new FrameRejected("not_image", `not a readable image: ${message(err)}`);
  }
  if (!width || !height) throw new FrameRejected("not_image", "image has no dimensions");
  if (width * height > maxPixels) {
    throw new FrameRejected("too_large", `${width}x${height} is ${(width * height / 1e6).toFixed(1)} MP, over the ${(maxPixels / 1e6).toFixed(1)} MP limit`);
  }
  const fit = fitFrame(width, height, input);
  const pad = input.letterbox.pad;
  let raw: Buffer;
  try {
    // linear: the interpolation the training pipelines (OpenCV INTER_LINEAR) use
    let pipeline = sharp(image, { limitInputPixels: maxPixels, ignoreIcc: true }).resize(fit.width, fit.height, { fit: "fill", kernel: "linear" });
    const right = input.width - fit.width - fit.padX;
    const bottom = input.height - fit.height - fit.padY;
    if (fit.padX > 0 || fit.padY > 0 || right > 0 || bottom > 0) {
      pipeline = pipeline.extend({ top: fit.padY, left: fit.padX, right, bottom, background: { r: pad, g: pad, b: pad } });
    }
    const { data, info } = await pipeline.removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== input.width || info.height !== input.height) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${input.width}x${input.height}x3`);
    }
    raw = data;
  } catch (err) {
    // the header was fine, so this is a damaged body: a truncated JPEG, a broken PNG stream
    throw new FrameRejected("corrupt", `image could not be decoded: ${message(err)}`);
  }
  return { tensor: toNchw(raw, input.width * input.height, input.channels === "bgr", 1 / input.divideBy), fit, pixels: { rgb: raw, width: input.width, height: input.height } };
}

/** Interleaved RGB bytes to planar float32, in one pass over the pixels. */
export function toNchw(rgb: Uint8Array, pixels: number, bgr: boolean, scale: number): Float32Array {
  const out = new Float32Array(3 * pixels);
  const first = bgr ? 2 * pixels : 0;
  const third = bgr ? 0 : 2 * pixels;
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    out[first + i] = rgb[p]! * scale;
    out[pixels + i] = rgb[p + 1]! * scale;
    out[third + i] = rgb[p + 2]! * scale;
  }
  return out;
}
