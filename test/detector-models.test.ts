import { createServer } from "node:http";
import { existsSync, readdirSync } from "node:fs";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Detector } from "../gateway/detector/detector.ts";
import { findManifest } from "../gateway/detector/manifest.ts";
import { openDetector } from "../gateway/detector/open.ts";
import { FrameRejected } from "../gateway/detector/reject.ts";
import { ensureModel, fetchModel, sha256File, trainWeights } from "../gateway/detector/store.ts";
import { iou } from "../gateway/detector/geometry.ts";
import { BICYCLE, BICYCLE_BOX, image, NEGATIVES, repoRoot, sharedModels, tempDir, testConfig } from "./detector-fixtures.ts";

for (const model of ["fastestdet-coco-352", "yolox-nano-coco-416"]) {
  describe(`${model} on real photos`, () => {
    let detector: Detector;
    beforeAll(async () => {
      detector = await openDetector(testConfig({ model }));
    });
    afterAll(() => detector.close());

    it("finds the bicycle as an e-bike, with a box on the bicycle", async () => {
      const result = await detector.detect(await image(BICYCLE));
      expect(result.ebike).toBe(true);
      expect(result.frameWidth).toBe(768);
      expect(result.frameHeight).toBe(576);
      const bikes = result.detections.filter((d) => d.ebike);
      expect(bikes.map((d) => d.label)).toContain("bicycle");
      const best = bikes.reduce((a, b) => (b.score > a.score ? b : a));
      expect(best.score).toBe(result.ebikeScore);
      expect(iou(best.box, BICYCLE_BOX)).toBeGreaterThan(0.6);
      // the dog and the car are found too, and are not e-bikes
      expect(result.detections.find((d) => d.label === "dog")?.ebike).toBe(false);
    });

    it("finds the bicycle in a PNG and in a grey JPEG of the same photo", async () => {
      const jpeg = await image(BICYCLE);
      for (const frame of [await sharp(jpeg).png().toBuffer(), await sharp(jpeg).greyscale().jpeg().toBuffer()]) {
        const result = await detector.detect(frame);
        const best = result.detections.find((d) => d.ebike);
        expect(best && iou(best.box, BICYCLE_BOX)).toBeGreaterThan(0.5);
      }
    });

    it("finds the bicycle in a 1280x720 frame (boxes mapped back through the resize)", async () => {
      const frame = await sharp(await image(BICYCLE)).resize(1280, 720, { fit: "fill" }).jpeg().toBuffer();
      const result = await detector.detect(frame);
      const best = result.detections.find((d) => d.ebike);
      const scaled = { x: (BICYCLE_BOX.x * 1280) / 768, y: (BICYCLE_BOX.y * 720) / 576, w: (BICYCLE_BOX.w * 1280) / 768, h: (BICYCLE_BOX.h * 720) / 576 };
      expect(best && iou(best.box, scaled)).toBeGreaterThan(0.6);
    });

    it.each(NEGATIVES)("finds no e-bike in %s at the default threshold", async (name) => {
      const result = await detector.detect(await image(name));
      expect(result.detections.filter((d) => d.ebike)).toEqual([]);
      expect(result.ebike).toBe(false);
      // the photo is not empty to the model: it sees its people, bus, cats...
      expect(result.detections.length).toBeGreaterThan(0);
    });

    it("with motorbike alone mapped to e-bike, the bicycle no longer counts", async () => {
      const strict = await openDetector(testConfig({ model, ebikeClasses: ["motorbike"] }));
      try {
        const result = await strict.detect(await image(BICYCLE));
        expect(result.ebike).toBe(false);
        expect(result.detections.find((d) => d.label === "bicycle")?.ebike).toBe(false);
      } finally {
        await strict.close();
      }
    });
  });
}

describe("bad frames", () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await openDetector(testConfig());
  });
  afterAll(() => detector.close());

  const rejection = (frame: Buffer) => detector.detect(frame).then(() => undefined, (err: unknown) => err);

  it("rejects a zero-byte frame", async () => {
    const err = await rejection(Buffer.alloc(0));
    expect(err).toBeInstanceOf(FrameRejected);
    expect((err as FrameRejected).reason).toBe("empty");
  });

  it("rejects a payload that is not an image", async () => {
    const err = await rejection(Buffer.from('{"floor": 3, "door": "open"}'));
    expect((err as FrameRejected).reason).toBe("not_image");
  });

  it("rejects a truncated JPEG", async () => {
    const jpeg = await image(BICYCLE);
    const err = await rejection(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    expect(err).toBeInstanceOf(FrameRejected);
    expect((err as FrameRejected).reason).toBe("corrupt");
  });

  it("rejects a 20-megapixel frame before decoding it", async () => {
    const big = await sharp({ create: { width: 5472, height: 3648, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
    const err = await rejection(big);
    expect((err as FrameRejected).reason).toBe("too_large");
    expect((err as FrameRejected).message).toMatch(/5472x3648 is 20\.0 MP/);
  });

  it("still judges a good frame after all of them", async () => {
    expect((await detector.detect(await image(BICYCLE))).ebike).toBe(true);
  });
});

describe("manifests", () => {
  it("a site's own manifest, as models/README.md shows it, loads from the models dir", async () => {
    const readme = await readFile(path.join(repoRoot, "models/README.md"), "utf8");
    const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const dir = tempDir("site-models");
    await writeFile(path.join(dir, "site-ebike-v8-640.yaml"), example!.replace(/^ {3}/gm, "").replace("<sha256sum site-ebike-v8-640.onnx>", "0".repeat(64)));
    const manifest = await findManifest("site-ebike-v8-640", [dir]);
    expect(manifest).toMatchObject({ family: "yolov8", labels: ["ebike", "bicycle", "person"], ebikeClasses: ["ebike"], input: { width: 640, resize: "letterbox", channels: "rgb" } });
  });

  it("refuses a manifest whose class map names labels the model does not have", async () => {
    const dir = tempDir("site-models");
    const builtin = await readFile(path.join(repoRoot, "models/fastestdet-coco-352.yaml"), "utf8");
    await writeFile(path.join(dir, "fastestdet-coco-352.yaml"), builtin.replace("labels: coco-labels.txt", "labels: [person, car]"));
    await expect(findManifest("fastestdet-coco-352", [dir])).rejects.toThrow(/classes maps labels the model does not have: motorbike, bicycle/);
  });

  it("maps the COCO models' outputs to linli classes: motorbike is the e-bike, bicycle a bicycle", async () => {
    for (const id of ["fastestdet-coco-352", "yolox-nano-coco-416"]) {
      const manifest = await findManifest(id, []);
      expect(manifest.ebikeClasses).toEqual(["motorbike"]);
      expect(manifest.classMap[manifest.labels.indexOf("bicycle")]).toBe("bicycle");
      expect(manifest.classMap[manifest.labels.indexOf("person")]).toBe("person");
      expect(manifest.classMap[manifest.labels.indexOf("dog")]).toBeUndefined();
    }
  });

  it("names the base model's trainable weights, and they verify like the ONNX", async () => {
    const manifest = await findManifest("fastestdet-coco-352", []);
    const modelsDir = tempDir("store");
    const file = await fetchModel(trainWeights(manifest), { modelsDir, mirror: sharedModels });
    expect(file).toBe(path.join(modelsDir, "fastestdet-train/fastestdet-coco-352.pth"));
    expect(await sha256File(file)).toBe(manifest.train!.sha256);
  });
});

describe("model store", () => {
  it("copies from a mirror, verifies the SHA-256, and leaves no temporary file", async () => {
    const manifest = await findManifest("fastestdet-coco-352", []);
    const modelsDir = tempDir("store");
    const file = await fetchModel(manifest, { modelsDir, mirror: sharedModels });
    expect(await sha256File(file)).toBe(manifest.sha256);
    expect(readdirSync(modelsDir)).toEqual(["fastestdet-coco-352.onnx"]);
  });

  it("refuses a mirror copy whose SHA-256 does not match, and keeps nothing of it", async () => {
    const manifest = await findManifest("fastestdet-coco-352", []);
    const mirror = tempDir("bad-mirror");
    const bytes = await readFile(path.join(sharedModels, manifest.file));
    bytes[1000] = bytes[1000]! ^ 0xff;
    await writeFile(path.join(mirror, manifest.file), bytes);
    const modelsDir = tempDir("store");
    await expect(fetchModel(manifest, { modelsDir, mirror })).rejects.toMatchObject({ problem: "model_corrupt" });
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it("downloads from the manifest's URL over HTTP", async () => {
    const manifest = await findManifest("fastestdet-coco-352", []);
    const server = createServer((req, res) => {
      if (req.url !== "/FastestDet.onnx") return void res.writeHead(404).end();
      void readFile(path.join(sharedModels, manifest.file)).then((b) => res.writeHead(200, { "content-length": b.length }).end(b));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const modelsDir = tempDir("store");
      const file = await fetchModel({ ...manifest, url: `${base}/FastestDet.onnx` }, { modelsDir });
      expect(await sha256File(file)).toBe(manifest.sha256);
      await expect(fetchModel({ ...manifest, url: `${base}/missing.onnx` }, { modelsDir: tempDir("store") })).rejects.toMatchObject({ problem: "model_fetch_failed" });
    } finally {
      server.close();
    }
  });

  it("is missing without autoFetch, and corrupt when the file in place was changed", async () => {
    const manifest = await findManifest("fastestdet-coco-352", []);
    const modelsDir = tempDir("store");
    await expect(ensureModel(manifest, { modelsDir, mirror: sharedModels, autoFetch: false })).rejects.toMatchObject({ problem: "model_missing" });
    await writeFile(path.join(modelsDir, manifest.file), "not a model");
    await expect(ensureModel(manifest, { modelsDir, mirror: sharedModels, autoFetch: true })).rejects.toMatchObject({ problem: "model_corrupt" });
  });

  it("fetches the model on first use, then finds it in place", async () => {
    const config = testConfig();
    const first = await openDetector(config);
    await first.close();
    expect(existsSync(path.join(config.modelsDir, "fastestdet-coco-352.onnx"))).toBe(true);
    const again = await openDetector({ ...config, mirror: undefined, autoFetch: false });
    await again.close();
  });

  it("refuses at load a model whose output does not match its manifest's family", async () => {
    const manifest = await findManifest("fastestdet-coco-352", []);
    const modelsDir = tempDir("store");
    await copyFile(path.join(sharedModels, manifest.file), path.join(modelsDir, manifest.file));
    await expect(Detector.load({ ...manifest, family: "yolox" }, path.join(modelsDir, manifest.file), { threads: 1, maxInputPixels: 1e7 })).rejects.toThrow(/yolox output has shape \[1,85,22,22\]/);
  });
});
