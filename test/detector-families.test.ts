import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { Detector } from "../gateway/detector/detector.ts";
import type { ModelManifest } from "../gateway/detector/manifest.ts";
import { tempDir } from "./detector-fixtures.ts";
import { reshapeModel } from "./detector-onnx.ts";

/** A manifest for a hand-made model: two classes, the first is an e-bike, raw 0-255 RGB input. */
function manifest(family: ModelManifest["family"], width: number, height: number): ModelManifest {
  return {
    id: `tiny-${family}`,
    title: "hand-made reshape model",
    family,
    file: `tiny-${family}.onnx`,
    sha256: "0".repeat(64),
    licence: "test",
    input: { name: "images", width, height, resize: "stretch", letterbox: { align: "center", pad: 114 }, channels: "rgb", divideBy: 1 },
    labels: ["ebike", "person"],
    classMap: ["ebike", "person"],
    ebikeClasses: ["ebike"],
    thresholds: { score: 0.5, iou: 0.45 },
    dir: tempDir("tiny"),
  };
}

/** Writes the model, paints a lossless PNG frame whose red/green/blue planes are the output wanted. */
async function run(m: ModelManifest, outputDims: number[], paint: (planes: Uint8Array[]) => void) {
  const { width, height } = m.input;
  const file = path.join(m.dir, m.file);
  await writeFile(file, reshapeModel("images", [1, 3, height, width], "output0", outputDims));
  const planes = [0, 1, 2].map(() => new Uint8Array(width * height));
  paint(planes);
  const rgb = Buffer.alloc(3 * width * height);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = planes[c]![i]!;
  const frame = sharp(rgb, { raw: { width, height, channels: 3 } });
  const detector = await Detector.load(m, file, { threads: 1, maxInputPixels: 1e6 });
  try {
    return await detector.detect(await frame.png().toBuffer());
  } finally {
    await detector.close();
  }
}

describe("model families end to end through onnxruntime (hand-made models)", () => {
  it("yolov5: [1, N, 5+C] rows, score obj * cls", async () => {
    // 7x8 input: 3 * 56 values reshape to [1, 24, 7]; row 0 is the first 7 red pixels
    const result = await run(manifest("yolov5", 7, 8), [1, 24, 7], ([red]) => red!.set([3, 4, 2, 4, 1, 1, 0], 0));
    expect(result.detections).toEqual([{ cls: 0, label: "ebike", score: 1, box: { x: 2, y: 2, w: 2, h: 4 }, ebike: true }]);
    expect(result.ebike).toBe(true);
  });

  it("yolov8: [1, 4+C, N] channel-major, best class score, no objectness", async () => {
    // 8x8 input: 192 values reshape to [1, 6, 32]: rows cx, cy (red), w, h (green), cls0, cls1 (blue)
    const result = await run(
      manifest("yolov8", 8, 8),
      [1, 6, 32],
      ([red, green, blue]) => {
        const anchor = 5;
        red![anchor] = 4; // cx
        red![32 + anchor] = 5; // cy
        green![anchor] = 4; // w
        green![32 + anchor] = 6; // h
        blue![anchor] = 0; // ebike
        blue![32 + anchor] = 1; // person
      },
    );
    expect(result.detections).toEqual([{ cls: 1, label: "person", score: 1, box: { x: 2, y: 2, w: 4, h: 6 }, ebike: false }]);
    expect(result.ebike).toBe(false);
    expect(result.ebikeScore).toBe(0);
  });
});
