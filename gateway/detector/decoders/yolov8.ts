import type { Candidate, Decoder } from "../types.ts";
import { argmax, expectDims } from "./shape.ts";

/**
 * Ultralytics YOLOv8 / YOLO11 ONNX export: [1, 4+C, N], channel-major (each of cx, cy, w, h and
 * the C class scores is a row of N anchors). Boxes are in input pixels; there is no objectness, the
 * score is the best class score (sigmoid applied by the export).
 */
export const decodeYolov8: Decoder = (output, ctx) => {
  const n = output.dims[2] ?? 0;
  expectDims("yolov8", output, [1, 4 + ctx.numClasses, n]);
  const d = output.data;
  const out: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const best = argmax(d, 4 * n + i, ctx.numClasses, n);
    if (best.value < ctx.minScore) continue;
    const cx = d[i]!;
    const cy = d[n + i]!;
    const w = d[2 * n + i]!;
    const h = d[3 * n + i]!;
    out.push({ cls: best.index, score: best.value, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
  }
  return out;
};
