import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { detectorConfigSchema } from "../gateway/detector/config.ts";
import { findManifest } from "../gateway/detector/manifest.ts";
import { openDetector } from "../gateway/detector/open.ts";
import { checkModel, verifierWeights } from "../gateway/detector/store.ts";
import { trainModel } from "../gateway/detector/train/command.ts";
import { checkTrainingPython } from "../gateway/detector/train/python.ts";
import type { TrainedModel } from "../gateway/detector/train/publish.ts";
import { liftCctv, sharedModels, tempDir } from "./detector-fixtures.ts";

/** A short run, bounded in time for CI on 2 cores: the figures of a full run are in docs/training.md. */
const SHORT = { seed: 1, epochs: 40, maxMinutes: 1.25, patience: 40, threads: 2, batch: 8, lr: 0.002, valShare: 0.15, testShare: 0.25, threshold: 0.5, verifier: true };

describe("models train on lift-cctv-89 (real torch, real onnxruntime)", () => {
  const modelsDir = tempDir("trained");
  let model: TrainedModel;
  const log: string[] = [];
  beforeAll(async () => {
    model = await trainModel({ ...SHORT, images: liftCctv.images, labels: liftCctv.labels, id: "lift-cctv-test", base: "fastestdet-coco-352", modelsDir, mirror: sharedModels }, { out: (l) => log.push(l), err: (l) => log.push(l) }, false);
  }, 420_000); // 1.25 min of detector, then the verifier: mining (at most 90 s) and fitting (at most 2 min), slower beside other tests

  it("trains on the oldest frames and holds back the latest 13 by capture time", () => {
    expect(model.dataset).toMatchObject({ train: 31, val: 8, test: 13, testSince: 1607035104 });
    expect(model.result.seconds).toBeLessThan(SHORT.maxMinutes * 60 + 30);
    expect(log.some((l) => /^epoch 1\/40 .* ETA \d+ s$/.test(l))).toBe(true);
  });

  it("writes an ONNX that the gateway's detector loads from the models dir by its id", async () => {
    const detector = await openDetector(detectorConfigSchema.parse({ model: "lift-cctv-test", modelsDir, autoFetch: false, maxQueuedLifts: 1, maxInputPixels: 1e8, evidence: false }));
    try {
      expect(detector.manifest.ebikeClasses).toEqual(["ebike"]);
      const result = await detector.detect(await readFile(path.join(liftCctv.images, "1616667058.jpg")));
      expect(result.frameWidth).toBe(1920);
    } finally {
      await detector.close();
    }
  });

  it("scores better than the base model on the held-back frames", () => {
    const { base, trained } = model.heldBack!;
    expect(trained.images).toBe(13);
    expect(trained.ap50).toBeGreaterThan(base.ap50);
    const at = (r: typeof base) => r.frames.find((f) => f.threshold === r.threshold)!;
    expect(at(trained).ebikeFramesFound).toBeGreaterThan(at(base).ebikeFramesFound);
  });

  it("writes a valid manifest with its class map, and its SHA-256 checks", async () => {
    const manifest = await findManifest("lift-cctv-test", [modelsDir]);
    expect(manifest).toMatchObject({ family: "fastestdet", file: "lift-cctv-test.onnx", labels: ["ebike", "bicycle", "stroller", "wheelchair", "trolley", "person"], classMap: ["ebike", "bicycle", "stroller", "wheelchair", "trolley", "person"] });
    expect(await checkModel(manifest, modelsDir)).toBe("ok");
  });

  it("tries the crop verifier behind the detector and keeps it only where it pays on the validation frames", async () => {
    const outcome = model.result.verifier!;
    expect(outcome.positives).toBeGreaterThan(0);
    // mining and at most 2 minutes of fitting, after the detector's own time limit
    expect(outcome.seconds).toBeLessThan(180);
    expect(outcome.val!.alone.ebikeFrames + outcome.val!.alone.cleanFrames).toBe(model.dataset.val);
    const { alone, verified } = outcome.val!;
    const pays = verified.found >= alone.found && (verified.flagged < alone.flagged || (verified.flagged === alone.flagged && (verified.ap50 ?? 0) > (alone.ap50 ?? -1)));
    expect(outcome.kept).toBe(pays);
    const manifest = await findManifest("lift-cctv-test", [modelsDir]);
    const card = await readFile(path.join(modelsDir, "lift-cctv-test.md"), "utf8");
    expect(card).toMatch(/\| detector alone \| \d\.\d{3} \| \d+\/\d+ \| \d+\/\d+ \|/);
    expect(card).toMatch(/\| with the verifier \| \d\.\d{3} \| \d+\/\d+ \| \d+\/\d+ \|/);
    const file = path.join(modelsDir, "lift-cctv-test.verifier.onnx");
    if (outcome.kept) {
      expect(manifest.verifier).toMatchObject({ file: "lift-cctv-test.verifier.onnx", size: 96, context: 0.15 });
      expect(await checkModel(verifierWeights(manifest)!, modelsDir)).toBe("ok");
    } else {
      expect(manifest.verifier).toBeUndefined();
      expect(existsSync(file)).toBe(false);
    }
  });

  it("writes a model card with the held-back figures and the command that reproduces them", async () => {
    const card = await readFile(path.join(modelsDir, "lift-cctv-test.md"), "utf8");
    expect(card).toMatch(/^# Model card: lift-cctv-test/);
    expect(card).toMatch(/\| fastestdet-coco-352 \| 0\.5 \| \d\.\d{3} \|/);
    expect(card).toMatch(/\| lift-cctv-test \| 0\.5 \| \d\.\d{3} \|/);
    expect(card).toContain(`--since 1607035104`);
    expect(card).toMatch(/held back \(captured from 1607035104 on\)/);
  });
});

describe("models train without torch", () => {
  it("says which Debian packages to install", async () => {
    await expect(checkTrainingPython("/nonexistent/python3")).rejects.toThrow(/apt-get install -y python3-torch python3-torchvision python3-onnx/);
  });

  it("stops before training on a folder whose labels are malformed", async () => {
    const modelsDir = tempDir("trained");
    await expect(
      trainModel({ ...SHORT, images: liftCctv.images, labels: tempDir("no-classes"), id: "x", base: "fastestdet-coco-352", modelsDir, mirror: sharedModels }, { out: () => undefined, err: () => undefined }, false),
    ).rejects.toThrow(/YOLO labels need a classes\.txt/);
    expect(existsSync(path.join(modelsDir, "x.onnx"))).toBe(false);
  });
});
