import { describe, expect, it } from "vitest";
import { resolveEbikeClasses } from "../gateway/detector/classmap.ts";
import { decodeFastestDet } from "../gateway/detector/decoders/fastestdet.ts";
import { decodeYolov5 } from "../gateway/detector/decoders/yolov5.ts";
import { decodeYolov8 } from "../gateway/detector/decoders/yolov8.ts";
import { decodeYolox } from "../gateway/detector/decoders/yolox.ts";
import { fitFrame, iou, toFrameBox } from "../gateway/detector/geometry.ts";
import type { InputContract } from "../gateway/detector/manifest.ts";
import { nms } from "../gateway/detector/nms.ts";
import type { Candidate } from "../gateway/detector/types.ts";

const logit = (p: number) => Math.log(p / (1 - p));

/** Rounds a candidate's numbers so known tensors can be compared exactly. */
const rounded = (c: Candidate) => ({ cls: c.cls, score: Math.round(c.score * 1e4) / 1e4, x1: Math.round(c.x1 * 1e3) / 1e3, y1: Math.round(c.y1 * 1e3) / 1e3, x2: Math.round(c.x2 * 1e3) / 1e3, y2: Math.round(c.y2 * 1e3) / 1e3 });

describe("FastestDet decoder", () => {
  // [1, 5+3, 2, 2] on a 64x64 input: planes are obj, tx, ty, w, h, cls0, cls1, cls2, each 2x2 row-major
  const C = 3;
  const gh = 2;
  const gw = 2;
  const plane = gh * gw;
  const tensor = () => new Float32Array((5 + C) * plane);
  const set = (d: Float32Array, channel: number, gy: number, gx: number, v: number) => (d[channel * plane + gy * gw + gx] = v);
  const ctx = { inputWidth: 64, inputHeight: 64, numClasses: C, minScore: 0.5 };

  it("decodes a cell: centre = (cell + tanh t) / grid, size = sigmoid, score = obj^0.6 cls^0.4", () => {
    const d = tensor();
    // cell row 1, column 0
    set(d, 0, 1, 0, 0.9);
    set(d, 1, 1, 0, Math.atanh(0.5));
    set(d, 2, 1, 0, Math.atanh(0.5));
    set(d, 3, 1, 0, logit(0.25));
    set(d, 4, 1, 0, logit(0.5));
    set(d, 5, 1, 0, 0.1);
    set(d, 6, 1, 0, 0.8);
    set(d, 7, 1, 0, 0.1);
    const out = decodeFastestDet({ data: d, dims: [1, 5 + C, gh, gw] }, ctx);
    // centre (0.25, 0.75) of 64 = (16, 48); size (0.25, 0.5) of 64 = (16, 32)
    expect(out.map(rounded)).toEqual([{ cls: 1, score: Math.round(0.9 ** 0.6 * 0.8 ** 0.4 * 1e4) / 1e4, x1: 8, y1: 32, x2: 24, y2: 64 }]);
  });

  it("keeps cells above minScore only, and reads each cell's own class planes", () => {
    const d = tensor();
    set(d, 0, 0, 1, 0.3);
    set(d, 7, 0, 1, 0.9); // score 0.3^0.6 * 0.9^0.4 = 0.47
    expect(decodeFastestDet({ data: d, dims: [1, 8, 2, 2] }, ctx)).toEqual([]);
    const low = decodeFastestDet({ data: d, dims: [1, 8, 2, 2] }, { ...ctx, minScore: 0.4 });
    expect(low).toHaveLength(1);
    expect(low[0]?.cls).toBe(2);
    // cell row 0, column 1, t = 0, size sigmoid(0) = 0.5: centre (1/2, 0/2) of 64 = (32, 0), size 32
    expect(rounded(low[0]!)).toMatchObject({ x1: 32 - 16, y1: 0 - 16, x2: 32 + 16, y2: 16 });
  });

  it("refuses an output of the wrong shape", () => {
    expect(() => decodeFastestDet({ data: new Float32Array(7 * 4), dims: [1, 7, 2, 2] }, ctx)).toThrow(/fastestdet output has shape \[1,7,2,2\], expected \[1,8,2,2\]/);
  });
});

describe("YOLOX decoder", () => {
  // 64x64 input: grids 8x8 (stride 8), 4x4 (16), 2x2 (32) = 84 rows of 5 + 2 classes
  const C = 2;
  const rows = 64 + 16 + 4;
  const ctx = { inputWidth: 64, inputHeight: 64, numClasses: C, minScore: 0.3 };

  it("decodes a row of the stride-16 grid: xy = (p + cell) * stride, wh = exp(p) * stride, score = obj * cls", () => {
    const d = new Float32Array(rows * (5 + C));
    const row = 64 + 2 * 4 + 1; // stride 16, cell x=1, y=2
    d.set([0.5, 0.25, Math.log(2), 0, 0.8, 0.1, 0.9], row * (5 + C));
    const out = decodeYolox({ data: d, dims: [1, rows, 5 + C] }, ctx);
    // centre (1.5 * 16, 2.25 * 16) = (24, 36); size (32, 16)
    expect(out.map(rounded)).toEqual([{ cls: 1, score: 0.72, x1: 8, y1: 28, x2: 40, y2: 44 }]);
  });

  it("uses the stride-32 grid for the last rows", () => {
    const d = new Float32Array(rows * (5 + C));
    d.set([0, 0, 0, 0, 0.9, 0.9, 0], (rows - 1) * (5 + C)); // stride 32, cell (1, 1)
    const out = decodeYolox({ data: d, dims: [1, rows, 5 + C] }, ctx);
    expect(out.map(rounded)).toEqual([{ cls: 0, score: 0.81, x1: 16, y1: 16, x2: 48, y2: 48 }]);
  });

  it("drops rows whose obj * cls is below minScore, even with a high objectness", () => {
    const d = new Float32Array(rows * (5 + C));
    d.set([0, 0, 0, 0, 0.9, 0.2, 0.3], 0);
    expect(decodeYolox({ data: d, dims: [1, rows, 5 + C] }, ctx)).toEqual([]);
  });

  it("refuses a tensor whose rows do not match the input size's grids", () => {
    expect(() => decodeYolox({ data: new Float32Array(83 * 7), dims: [1, 83, 7] }, ctx)).toThrow(/expected \[1,84,7\]/);
  });
});

describe("YOLOv5 decoder", () => {
  const ctx = { inputWidth: 640, inputHeight: 640, numClasses: 2, minScore: 0.3 };
  it("reads pixel boxes and scores obj * cls from [1, N, 5+C] rows", () => {
    const d = new Float32Array([
      10, 10, 5, 5, 0.01, 0.9, 0.9, // low objectness
      100, 50, 20, 10, 0.9, 0.2, 0.7, // kept: class 1, 0.63
      200, 200, 50, 50, 0.9, 0.3, 0.1, // 0.27: below minScore
    ]);
    const out = decodeYolov5({ data: d, dims: [1, 3, 7] }, ctx);
    expect(out.map(rounded)).toEqual([{ cls: 1, score: 0.63, x1: 90, y1: 45, x2: 110, y2: 55 }]);
  });

  it("refuses a v8-style (channel-major) tensor", () => {
    expect(() => decodeYolov5({ data: new Float32Array(6 * 8400), dims: [1, 6, 8400] }, ctx)).toThrow(/yolov5 output has shape/);
  });
});

describe("YOLOv8/YOLO11 decoder", () => {
  const ctx = { inputWidth: 640, inputHeight: 640, numClasses: 2, minScore: 0.5 };
  it("reads the channel-major [1, 4+C, N] layout: best class score, no objectness", () => {
    const n = 3;
    // rows: cx, cy, w, h, cls0, cls1; columns: anchors 0..2
    const d = new Float32Array([
      1, 2, 30, //
      1, 2, 40, //
      1, 2, 10, //
      1, 2, 20, //
      0.1, 0.2, 0.85, //
      0.3, 0.4, 0.1,
    ]);
    const out = decodeYolov8({ data: d, dims: [1, 4 + 2, n] }, ctx);
    expect(out.map(rounded)).toEqual([{ cls: 0, score: 0.85, x1: 25, y1: 30, x2: 35, y2: 50 }]);
  });

  it("refuses a tensor with the wrong number of classes", () => {
    expect(() => decodeYolov8({ data: new Float32Array(7 * 3), dims: [1, 7, 3] }, ctx)).toThrow(/expected \[1,6,3\]/);
  });
});

describe("geometry and NMS", () => {
  const letterbox = (align: "center" | "top-left"): InputContract => ({ width: 416, height: 416, resize: "letterbox", letterbox: { align, pad: 114 }, channels: "bgr", divideBy: 1 });

  it("maps a centred letterbox back to frame pixels", () => {
    const fit = fitFrame(1280, 720, letterbox("center"));
    expect(fit).toMatchObject({ width: 416, height: 234, padX: 0, padY: 91 });
    const box = toFrameBox({ cls: 0, score: 1, x1: 0, y1: 91, x2: 416, y2: 325 }, fit);
    expect(box.x).toBeCloseTo(0);
    expect(box.y).toBeCloseTo(0);
    expect(box.w).toBeCloseTo(1280);
    expect(box.h).toBeCloseTo(720);
  });

  it("maps a top-left letterbox and clips boxes to the frame", () => {
    const fit = fitFrame(720, 1280, letterbox("top-left"));
    expect(fit).toMatchObject({ width: 234, height: 416, padX: 0, padY: 0 });
    const box = toFrameBox({ cls: 0, score: 1, x1: -10, y1: 208, x2: 300, y2: 500 }, fit);
    expect(box).toMatchObject({ x: 0, w: 720, h: 640 });
    expect(box.y).toBeCloseTo(640);
  });

  it("maps a stretched input back with separate x and y scales", () => {
    const fit = fitFrame(1280, 720, { width: 352, height: 352, resize: "stretch", letterbox: { align: "center", pad: 114 }, channels: "bgr", divideBy: 255 });
    const box = toFrameBox({ cls: 0, score: 1, x1: 88, y1: 88, x2: 176, y2: 264 }, fit);
    expect(box.x).toBeCloseTo(320);
    expect(box.y).toBeCloseTo(180);
    expect(box.w).toBeCloseTo(320);
    expect(box.h).toBeCloseTo(360);
  });

  it("NMS keeps the best of overlapping boxes of a class, and overlapping boxes of other classes", () => {
    const a = { cls: 1, score: 0.9, box: { x: 0, y: 0, w: 100, h: 100 } };
    const b = { cls: 1, score: 0.8, box: { x: 10, y: 10, w: 100, h: 100 } }; // IoU 0.68 with a
    const c = { cls: 3, score: 0.7, box: { x: 10, y: 10, w: 100, h: 100 } };
    const d = { cls: 1, score: 0.6, box: { x: 200, y: 200, w: 50, h: 50 } };
    expect(iou(a.box, b.box)).toBeCloseTo(8100 / 11900);
    expect(nms([d, c, b, a], 0.45)).toEqual([a, c, d]);
    expect(nms([d, c, b, a], 0.7)).toEqual([a, b, c, d]);
    expect(nms([d, c, b, a], 0.45, 2)).toEqual([a, c]);
  });

  it("maps class names to e-bike indices, and refuses a name the model does not have", () => {
    const labels = ["person", "bicycle", "car", "motorbike"];
    expect([...resolveEbikeClasses(labels, ["bicycle", "motorbike"])]).toEqual([1, 3]);
    expect([...resolveEbikeClasses(labels, ["motorbike"])]).toEqual([3]);
    expect(() => resolveEbikeClasses(labels, ["ebike"])).toThrow(/"ebike" is not one of the model's labels/);
  });
});
