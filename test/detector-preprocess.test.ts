import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { InputContract } from "../gateway/detector/manifest.ts";
import { preprocess, toNchw } from "../gateway/detector/preprocess.ts";

// a 4x2 image, each pixel a distinct colour: pixel i = (10i+1, 10i+2, 10i+3)
const pixels = Array.from({ length: 8 }, (_, i) => [10 * i + 1, 10 * i + 2, 10 * i + 3]);
const png = () => sharp(Buffer.from(pixels.flat()), { raw: { width: 4, height: 2, channels: 3 } }).png().toBuffer();
const contract = (over: Partial<InputContract>): InputContract => ({ width: 4, height: 2, resize: "stretch", letterbox: { align: "center", pad: 114 }, channels: "rgb", divideBy: 1, ...over });
const plane = (t: Float32Array, c: number, size: number) => [...t.subarray(c * size, (c + 1) * size)];

describe("preprocessing to the model's input tensor", () => {
  it("lays interleaved RGB out as planes, in RGB or BGR order, scaled", () => {
    const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect([...toNchw(rgb, 2, false, 1)]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...toNchw(rgb, 2, true, 1)]).toEqual([3, 6, 2, 5, 1, 4]);
    expect([...toNchw(rgb, 2, false, 0.5)]).toEqual([0.5, 2, 1, 2.5, 1.5, 3]);
  });

  it("keeps a frame of the input's size pixel for pixel, in RGB order", async () => {
    const { tensor, fit } = await preprocess(await png(), contract({}), 1e6);
    expect(fit).toMatchObject({ frameWidth: 4, frameHeight: 2, sx: 1, sy: 1, padX: 0, padY: 0 });
    expect(plane(tensor, 0, 8)).toEqual(pixels.map((p) => p[0]));
    expect(plane(tensor, 2, 8)).toEqual(pixels.map((p) => p[2]));
  });

  it("puts blue first for a BGR model and divides by 255 for a 0-1 model", async () => {
    const { tensor } = await preprocess(await png(), contract({ channels: "bgr", divideBy: 255 }), 1e6);
    expect(plane(tensor, 0, 8).map((v) => Math.round(v * 255))).toEqual(pixels.map((p) => p[2]));
    expect(plane(tensor, 2, 8).map((v) => Math.round(v * 255))).toEqual(pixels.map((p) => p[0]));
  });

  it("letterboxes in the centre with the pad value above and below", async () => {
    const { tensor, fit } = await preprocess(await png(), contract({ height: 4, resize: "letterbox" }), 1e6);
    expect(fit).toMatchObject({ width: 4, height: 2, padX: 0, padY: 1 });
    const red = plane(tensor, 0, 16);
    expect(red.slice(0, 4)).toEqual([114, 114, 114, 114]);
    expect(red.slice(4, 12)).toEqual(pixels.map((p) => p[0]));
    expect(red.slice(12)).toEqual([114, 114, 114, 114]);
  });

  it("letterboxes at the top-left corner with the pad value below", async () => {
    const { tensor, fit } = await preprocess(await png(), contract({ height: 4, resize: "letterbox", letterbox: { align: "top-left", pad: 0 } }), 1e6);
    expect(fit).toMatchObject({ padX: 0, padY: 0 });
    const green = plane(tensor, 1, 16);
    expect(green.slice(0, 8)).toEqual(pixels.map((p) => p[1]));
    expect(green.slice(8)).toEqual(new Array(8).fill(0));
  });

  it("drops an alpha channel rather than reading it as a colour", async () => {
    const rgba = await sharp(Buffer.from(pixels.flatMap((p) => [...p, 7])), { raw: { width: 4, height: 2, channels: 4 } }).png().toBuffer();
    const { tensor } = await preprocess(rgba, contract({}), 1e6);
    expect(tensor).toHaveLength(3 * 8);
    expect(plane(tensor, 2, 8)).toEqual(pixels.map((p) => p[2]));
  });

  it("reads pixels as stored, as the trainer's PIL does: an embedded ICC profile does not change the model's input", async () => {
    // saturated colours under a Display P3 profile: colour management moves them by up to tens of levels
    const saturated = [250, 10, 10, 10, 250, 10, 10, 10, 250, 200, 200, 30, 128, 64, 32, 90, 180, 240, 30, 220, 120, 240, 120, 200];
    const tagged = await sharp(Buffer.from(saturated), { raw: { width: 4, height: 2, channels: 3 } }).withIccProfile("p3").png().toBuffer();
    expect((await sharp(tagged).metadata()).icc).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), "linli-icc-")), "p3.png");
    writeFileSync(file, tagged);
    const script = "import sys, json; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); print(json.dumps(list(im.getdata())))";
    const pil = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" })) as number[][];
    const { tensor } = await preprocess(tagged, contract({}), 1e6);
    for (const c of [0, 1, 2]) expect(plane(tensor, c, 8)).toEqual(pil.map((p) => p[c]));
    // and the profile did matter: a colour-managed decode gives other values
    const managed = await sharp(tagged).raw().toBuffer();
    expect([...managed]).not.toEqual(pil.flat());
  });
});
