import type { Candidate, Decoder } from "../types.ts";
import { argmax, expectDims } from "./shape.ts";

const STRIDES = [8, 16, 32] as const;

/**
 * YOLOX exported without its decode head: [1, N, 5+C] rows of raw cx, cy, log w, log h, then obj
 * and C class scores (already sigmoid). Rows run over the stride-8, 16 and 32 grids in turn, each
 * row-major; xy = (p + cell) * stride, wh = exp(p) * stride, score = obj * cls.
 */
export const decodeYolox: Decoder = (output, ctx) => {
  const grids = STRIDES.map((s) => ({ s, gw: Math.floor(ctx.inputWidth / s), gh: Math.floor(ctx.inputHeight / s) }));
  const rows = grids.reduce((n, g) => n + g.gw * g.gh, 0);
  const stride = 5 + ctx.numClasses;
  expectDims("yolox", output, [1, rows, stride]);
  const d = output.data;
  const out: Candidate[] = [];
  let row = 0;
  for (const { s, gw, gh } of grids) {
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, row++) {
        const base = row * stride;
        const obj = d[base + 4]!;
        // class scores are at most 1, so obj alone bounds the score: skip most rows cheaply
        if (obj < ctx.minScore) continue;
        const best = argmax(d, base + 5, ctx.numClasses, 1);
        const score = obj * best.value;
        if (score < ctx.minScore) continue;
        const cx = (d[base]! + gx) * s;
        const cy = (d[base + 1]! + gy) * s;
        const w = Math.exp(d[base + 2]!) * s;
        const h = Math.exp(d[base + 3]!) * s;
        out.push({ cls: best.index, score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
      }
    }
  }
  return out;
};
