import type { Candidate, Decoder } from "../types.ts";
import { argmax, expectDims } from "./shape.ts";

/**
 * Ultralytics YOLOv5 ONNX export: [1, N, 5+C] rows of cx, cy, w, h in input pixels (already
 * decoded by the export), obj, and C class scores (sigmoid applied); score = obj * cls.
 */
export const decodeYolov5: Decoder = (output, ctx) => {
  const stride = 5 + ctx.numClasses;
  const rows = output.dims[1] ?? 0;
  expectDims("yolov5", output, [1, rows, stride]);
  const d = output.data;
  const out: Candidate[] = [];
  for (let row = 0; row < rows; row++) {
    const base = row * stride;
    const obj = d[base + 4]!;
    if (obj < ctx.minScore) continue;
    const best = argmax(d, base + 5, ctx.numClasses, 1);
    const score = obj * best.value;
    if (score < ctx.minScore) continue;
    const cx = d[base]!;
    const cy = d[base + 1]!;
    const w = d[base + 2]!;
    const h = d[base + 3]!;
    out.push({ cls: best.index, score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
  }
  return out;
};
