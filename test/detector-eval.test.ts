import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerDetectorCommands } from "../gateway/detector/cli.ts";
import type { Detector } from "../gateway/detector/detector.ts";
import { evalFrames, selectFrames } from "../gateway/detector/eval-folder.ts";
import { averagePrecision, evaluate } from "../gateway/detector/evaluate.ts";
import { openDetector } from "../gateway/detector/open.ts";
import { BICYCLE, BICYCLE_BOX, NEGATIVES, sharedImages, sharedModels, tempDir, testConfig } from "./detector-fixtures.ts";

const box = (x: number, y: number, w = 10, h = 10) => ({ x, y, w, h });

describe("e-bike evaluation maths", () => {
  const images = [
    { truths: [box(0, 0)], predictions: [{ score: 0.9, box: box(1, 0) }, { score: 0.8, box: box(50, 50) }] },
    { truths: [box(100, 100)], predictions: [{ score: 0.6, box: box(100, 101) }] },
  ];

  it("computes all-point interpolated AP50 over ranked matches", () => {
    // ranked: TP 0.9, FP 0.8, TP 0.6 -> recall 0.5 at precision 1, recall 1 at precision 2/3
    expect(evaluate(images, [0.5]).ap50).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3));
    expect(averagePrecision([], 0)).toBeNaN();
    expect(averagePrecision([{ score: 0.9, tp: false }], 2)).toBe(0);
  });

  it("gives precision, recall and F1 per threshold, and recommends the best F1", () => {
    const report = evaluate(images, [0.5, 0.7, 0.85]);
    expect(report.rows.map((r) => [r.threshold, r.tp, r.fp, r.fn])).toEqual([
      [0.5, 2, 1, 0],
      [0.7, 1, 1, 1],
      [0.85, 1, 0, 1],
    ]);
    expect(report.rows[0]!.precision).toBeCloseTo(2 / 3);
    expect(report.rows[0]!.recall).toBe(1);
    expect(report.rows[2]!.f1).toBeCloseTo(2 / 3);
    expect(report.recommended.threshold).toBe(0.5);
  });

  it("counts a second box on an already matched e-bike as a false positive", () => {
    const report = evaluate([{ truths: [box(0, 0)], predictions: [{ score: 0.9, box: box(0, 0) }, { score: 0.8, box: box(1, 1) }] }], [0.5]);
    expect(report.rows[0]).toMatchObject({ tp: 1, fp: 1, fn: 0 });
  });

  it("on ties prefers fewer false positives, then the higher threshold", () => {
    const report = evaluate([{ truths: [], predictions: [{ score: 0.4, box: box(0, 0) }] }], [0.3, 0.5, 0.6]);
    expect(report.recommended.threshold).toBe(0.6);
    expect(report.rows[0]!.precision).toBe(0);
    expect(report.rows[1]!.precision).toBeNaN();
  });

  it("counts frames as the guard does: any e-bike call makes a frame a hold candidate", () => {
    const frames = evaluate([...images, { truths: [], predictions: [{ score: 0.7, box: box(5, 5) }] }, { truths: [], predictions: [] }], [0.5, 0.75]).frames;
    expect(frames[0]).toMatchObject({ ebikeFrames: 2, ebikeFramesFound: 2, cleanFrames: 2, cleanFramesFlagged: 1, frameRecall: 1, falseHoldRate: 0.5 });
    expect(frames[1]).toMatchObject({ ebikeFramesFound: 1, cleanFramesFlagged: 0, frameRecall: 0.5, falseHoldRate: 0 });
  });
});

/** The bicycle photo with its bicycle labelled by hand as the e-bike stand-in, and the five negatives. */
async function labelledSet(): Promise<{ images: string; labels: string }> {
  const root = tempDir("evalset");
  const images = path.join(root, "images");
  const labels = path.join(root, "labels");
  await mkdir(images);
  await mkdir(labels);
  for (const name of [BICYCLE, ...NEGATIVES]) await copyFile(path.join(sharedImages, name), path.join(images, name));
  const b = BICYCLE_BOX;
  const yolo = (cls: number, x: number, y: number, w: number, h: number) => `${cls} ${(x + w / 2) / 768} ${(y + h / 2) / 576} ${w / 768} ${h / 576}`;
  await writeFile(path.join(labels, "classes.txt"), "person\nebike\n");
  await writeFile(path.join(labels, "bicycle-dog-porch.txt"), `${yolo(1, b.x, b.y, b.w, b.h)}\n`);
  // four negatives labelled empty; the fifth has no label file, which YOLO reads as background too
  for (const name of NEGATIVES.slice(0, 4)) await writeFile(path.join(labels, name.replace(".jpg", ".txt")), "");
  return { images, labels };
}

describe("models eval on a small labelled set", () => {
  let detector: Detector;
  let set: { images: string; labels: string };
  beforeAll(async () => {
    detector = await openDetector(testConfig());
    set = await labelledSet();
  });
  afterAll(() => detector.close());

  it("finds the one labelled e-bike first (AP50 1.0) and recommends a threshold with no false positive", async () => {
    const thresholds = [0.05, 0.25, 0.5, 0.7, 0.95];
    const report = await evalFrames(detector, await selectFrames(set.images, set.labels, undefined), { thresholds });
    expect(report).toMatchObject({ images: 6, truths: 1, unlabelled: 1 });
    expect(report.frames.find((f) => f.threshold === 0.5)).toMatchObject({ ebikeFrames: 1, ebikeFramesFound: 1, cleanFrames: 5, cleanFramesFlagged: 0 });
    expect(report.perImage.filter((p) => p.wrong)).toEqual([]);
    expect(report.ap50).toBe(1);
    expect(report.rows.find((r) => r.threshold === 0.5)).toMatchObject({ tp: 1, fp: 0, fn: 0, precision: 1, recall: 1 });
    expect(report.rows.find((r) => r.threshold === 0.95)).toMatchObject({ tp: 0, fn: 1, recall: 0 });
    expect(report.recommended).toMatchObject({ tp: 1, fp: 0, f1: 1 });
  });
});

describe("CLI", () => {
  function cli() {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command("linli").exitOverride();
    registerDetectorCommands(program, { out: (l) => out.push(l), err: (l) => err.push(l) });
    const run = (...args: string[]) => program.parseAsync(args, { from: "user" });
    return { out, err, run };
  }

  it("`detect --json` prints one object per image and writes annotated copies", async () => {
    const dir = tempDir("detect");
    const notAnImage = path.join(dir, "notes.jpg");
    await writeFile(notAnImage, "hello");
    const { out, run } = cli();
    const files = [path.join(sharedImages, BICYCLE), path.join(sharedImages, NEGATIVES[1]!), notAnImage];
    await run("detect", "--json", "--ebike-classes", "bicycle,motorbike", "--models-dir", path.join(dir, "models"), "--mirror", sharedModels, "--out", path.join(dir, "out"), ...files);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    const lines = out.map((l) => JSON.parse(l) as { file: string; detections?: Array<{ class: string; score: number; box: object; ebike: boolean }>; annotated?: string; error?: string });
    expect(lines.map((l) => l.file)).toEqual(files);
    expect(lines[0]!.detections).toContainEqual(expect.objectContaining({ class: "bicycle", ebike: true, box: expect.objectContaining({ w: expect.any(Number) }) }));
    expect(lines[1]!.detections!.every((d) => !d.ebike)).toBe(true);
    expect(lines[2]!.error).toMatch(/not a readable image/);
    const annotated = await sharp(await readFile(lines[0]!.annotated!)).metadata();
    expect([annotated.format, annotated.width, annotated.height]).toEqual(["jpeg", 768, 576]);
  });

  it("`models eval` prints AP50, a table and a recommended threshold", async () => {
    const set = await labelledSet();
    const dir = tempDir("eval");
    const { out, run } = cli();
    await run("models", "eval", "--images", set.images, "--labels", set.labels, "--models-dir", dir, "--mirror", sharedModels, "--model", "yolox-nano-coco-416", "--ebike-classes", "bicycle,motorbike");
    const text = out.join("\n");
    expect(text).toMatch(/model yolox-nano-coco-416: 6 images \(1 without a label file, taken as background\), 1 labelled e-bikes/);
    expect(text).toMatch(/AP50 \(e-bike\): 1\.000/);
    expect(out.filter((l) => /^\s+0\.\d\d\s/.test(l))).toHaveLength(19);
    expect(text).toMatch(/recommended threshold: 0\.\d\d \(F1 1\.00, 0 false positive\(s\), 0 missed\)/);
  });

  it("`models fetch` copies from a mirror once, then finds the model in place", async () => {
    const dir = tempDir("fetch");
    const { out, run } = cli();
    await run("models", "fetch", "yolox-nano-coco-416", "--models-dir", dir, "--mirror", sharedModels);
    await run("models", "fetch", "yolox-nano-coco-416", "--models-dir", dir);
    expect(out[0]).toMatch(/yolox-nano-coco-416: fetched and verified/);
    expect(out[1]).toMatch(/already present and verified/);
  });
});
