import { execFile } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODELS_DIR, findManifest } from "../gateway/detector/manifest.ts";
import { openDetector } from "../gateway/detector/open.ts";
import { preprocess } from "../gateway/detector/preprocess.ts";
import { sha256File } from "../gateway/detector/store.ts";
import { CropVerifier, combineScores } from "../gateway/detector/verifier.ts";
import type { Candidate } from "../gateway/detector/types.ts";
import { BICYCLE, image, repoRoot, sharedModels, tempDir, testConfig } from "./detector-fixtures.ts";

const run = promisify(execFile);
const python = (args: string[]) =>
  run("/usr/bin/python3", [path.join(repoRoot, "test/python/verifier_contract.py"), ...args], { env: { ...process.env, PYTHONPATH: path.join(repoRoot, "training") }, maxBuffer: 1 << 22 });

/**
 * The verifier is trained in torch on crops torchvision cuts and runs in the gateway on crops
 * cropTensor cuts. A difference in where the crop starts, its scale or its channel order would go
 * unnoticed by every figure but the model's accuracy, so these tests run the same weights on the
 * same pixels both ways.
 */
describe("the crop verifier, torch against the gateway (real torch, real onnxruntime)", () => {
  const dir = tempDir("verifier");
  const onnx = path.join(dir, "v.onnx");
  const weights = path.join(dir, "v.pth");
  const input = { width: 352, height: 352, resize: "stretch" as const, letterbox: { align: "center" as const, pad: 114 }, channels: "bgr" as const, divideBy: 255 };
  let verifier: CropVerifier;

  beforeAll(async () => {
    await python(["export", path.join(sharedModels, "fastestdet-train/fastestdet-coco-352.pth"), onnx, weights]);
    verifier = await CropVerifier.load(onnx, { file: "v.onnx", sha256: await sha256File(onnx), size: 96, context: 0.15 }, input, 1);
  }, 60_000);
  afterAll(() => verifier?.close());

  it("scores the crops of a frame as torch does, at the frame's edges too", async () => {
    const { pixels } = await preprocess(await image(BICYCLE), input, 1e8);
    const boxes: Candidate[] = [
      { cls: 0, score: 1, x1: 56, y1: 84, x2: 258, y2: 256 }, // the bicycle
      { cls: 0, score: 1, x1: 0, y1: 0, x2: 60, y2: 90 }, // the corner: the context is clipped
      { cls: 0, score: 1, x1: 300.5, y1: 290.25, x2: 352, y2: 352 }, // fractional, at the far edge
      { cls: 0, score: 1, x1: 170, y1: 40, x2: 181, y2: 300 }, // thin: the crop is stretched
    ];
    const raw = path.join(dir, "pixels.raw");
    const boxesFile = path.join(dir, "boxes.json");
    await writeFile(raw, pixels.rgb);
    await writeFile(boxesFile, JSON.stringify(boxes.map((b) => [b.x1, b.y1, b.x2, b.y2])));
    const { stdout } = await python(["score", weights, raw, String(pixels.width), String(pixels.height), boxesFile, input.channels, String(input.divideBy)]);
    const torchSide = JSON.parse(stdout) as { scores: number[]; size: number; context: number };
    // the defaults the trainer writes into a manifest are the ones this test loaded
    expect({ size: torchSide.size, context: torchSide.context }).toEqual({ size: 96, context: 0.15 });
    const gateway = await verifier.score(pixels, boxes);
    expect(gateway.scores).toHaveLength(4);
    gateway.scores.forEach((s, i) => expect(s).toBeCloseTo(torchSide.scores[i]!, 4));
    // a verifier that ignored its input would pass the above only by chance: the crops differ
    expect(Math.max(...gateway.scores) - Math.min(...gateway.scores)).toBeGreaterThan(1e-3);
  });

  it("answers nothing for no boxes, without running", async () => {
    const { pixels } = await preprocess(await image(BICYCLE), input, 1e8);
    expect(await verifier.score(pixels, [])).toEqual({ scores: [], ms: 0 });
  });

  it("combines two scores by their geometric mean, so both must agree", () => {
    expect(combineScores(0.5, 0.5)).toBeCloseTo(0.5, 9);
    expect(combineScores(0.9, 0.1)).toBeCloseTo(0.3, 9);
    expect(combineScores(0.9, 0)).toBe(0);
  });

  describe("in the detector, from the model's manifest", () => {
    const modelsDir = tempDir("verified-models");
    let manifestFile: string;

    beforeAll(async () => {
      await copyFile(path.join(sharedModels, "fastestdet-coco-352.onnx"), path.join(modelsDir, "fastestdet-coco-352.onnx"));
      await copyFile(onnx, path.join(modelsDir, "coco-verified.verifier.onnx"));
      const base = parse(await readFile(path.join(BUILTIN_MODELS_DIR, "fastestdet-coco-352.yaml"), "utf8")) as Record<string, unknown>;
      const { train: _train, url: _url, card: _card, ...rest } = base;
      manifestFile = path.join(modelsDir, "coco-verified.yaml");
      const verifierBlock = { file: "coco-verified.verifier.onnx", sha256: await sha256File(onnx), size: 96, context: 0.15 };
      await writeFile(manifestFile, stringify({ ...rest, id: "coco-verified", labels: path.join(BUILTIN_MODELS_DIR, "coco-labels.txt"), verifier: verifierBlock }));
    });

    it("scores each e-bike call by detector and verifier together, and leaves other classes alone", async () => {
      const config = testConfig({ modelsDir, mirror: undefined, autoFetch: false });
      const plain = await openDetector({ ...config, model: "fastestdet-coco-352" });
      const verified = await openDetector({ ...config, model: "coco-verified" });
      try {
        const frame = await image(BICYCLE);
        const alone = await plain.detect(frame, 0.05);
        const both = await verified.detect(frame, 0.2);
        const { pixels, fit } = await preprocess(frame, plain.manifest.input, 1e8);
        const ebikes = both.detections.filter((d) => d.ebike);
        expect(ebikes.length).toBeGreaterThan(0);
        for (const d of ebikes) {
          // the same box, as the plain detector found it, and what the verifier says of its crop
          const same = alone.detections.find((a) => a.cls === d.cls && Math.abs(a.box.x - d.box.x) < 1e-6 && Math.abs(a.box.y - d.box.y) < 1e-6 && Math.abs(a.box.w - d.box.w) < 1e-6);
          expect(same, `${d.label} at ${JSON.stringify(d.box)}`).toBeDefined();
          const corners = { cls: d.cls, score: same!.score, x1: d.box.x * fit.sx, y1: d.box.y * fit.sy, x2: (d.box.x + d.box.w) * fit.sx, y2: (d.box.y + d.box.h) * fit.sy };
          const [v] = (await verifier.score(pixels, [corners])).scores;
          // the corners come back from frame pixels, so they differ from the original ones by rounding
          expect(d.score).toBeCloseTo(combineScores(same!.score, v!), 3);
        }
        const others = (r: typeof both) => r.detections.filter((d) => !d.ebike && d.score >= 0.2).map((d) => [d.label, d.score.toFixed(5)]);
        expect(others(both)).toEqual(others(alone));
      } finally {
        await Promise.all([plain.close(), verified.close()]);
      }
    }, 60_000);

    it("refuses a verifier whose bytes are not the manifest's", async () => {
      const tampered = path.join(modelsDir, "coco-verified.verifier.onnx");
      const bytes = await readFile(tampered);
      const at = bytes.length - 10;
      bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
      await writeFile(tampered, bytes);
      expect((await findManifest("coco-verified", [modelsDir])).verifier?.file).toBe("coco-verified.verifier.onnx");
      await expect(openDetector(testConfig({ modelsDir, mirror: undefined, autoFetch: false, model: "coco-verified" }))).rejects.toThrow(/coco-verified\.verifier\.onnx does not match the SHA-256/);
    });
  });
});
