import type { Candidate, Decoder } from "../types.ts";
import { argmax, expectDims } from "./shape.ts";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * FastestDet: one [1, 5+C, H, W] map, each cell holding obj, tx, ty, w, h and C class scores (obj
 * and classes already activated by the model). The author's decode: score = obj^0.6 * cls^0.4,
 * centre = (cell + tanh(t)) / grid, size = sigmoid(w, h), all relative to the input.
 */
export const decodeFastestDet: Decoder = (output, ctx) => {
  const gh = output.dims[2] ?? 0;
  const gw = output.dims[3] ?? 0;
  expectDims("fastestdet", output, [1, 5 + ctx.numClasses, gh, gw]);
  const d = output.data;
  const plane = gh * gw;
  const out: Candidate[] = [];
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const i = gy * gw + gx;
      const best = argmax(d, 5 * plane + i, ctx.numClasses, plane);
      const score = Math.max(0, d[i]!) ** 0.6 * Math.max(0, best.value) ** 0.4;
      if (score < ctx.minScore) continue;
      const cx = ((gx + Math.tanh(d[plane + i]!)) / gw) * ctx.inputWidth;
      const cy = ((gy + Math.tanh(d[2 * plane + i]!)) / gh) * ctx.inputHeight;
      const w = sigmoid(d[3 * plane + i]!) * ctx.inputWidth;
      const h = sigmoid(d[4 * plane + i]!) * ctx.inputHeight;
      out.push({ cls: best.index, score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
    }
  }
  return out;
};
