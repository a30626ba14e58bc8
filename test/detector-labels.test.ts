import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureTime, splitByTime } from "../gateway/detector/labels/capture-time.ts";
import { LabelError } from "../gateway/detector/labels/classes.ts";
import { readLabelledFolder } from "../gateway/detector/labels/folder.ts";
import { parseVocXml } from "../gateway/detector/labels/voc.ts";
import { parseClassesTxt, parseYoloLabels } from "../gateway/detector/labels/yolo.ts";
import { image, liftCctv, tempDir } from "./detector-fixtures.ts";

const voc = (objects: string, size = "<size><width>200</width><height>100</height><depth>3</depth></size>") =>
  `<?xml version="1.0"?>\n<annotation>\n  <filename>a.jpg</filename>\n  ${size}\n${objects}</annotation>\n`;
const object = (name: string, box = "<xmin>11</xmin><ymin>21</ymin><xmax>110</xmax><ymax>70</ymax>") => `  <object>\n    <name>${name}</name>\n    <bndbox>${box}</bndbox>\n  </object>\n`;

describe("YOLO labels with classes.txt", () => {
  it("names boxes by linli class through classes.txt, normalised to the image", () => {
    const classes = parseClassesTxt("person\nebike\n", "classes.txt");
    expect(parseYoloLabels("1 0.5 0.5 0.5 0.25\n\n0 0.25 0.75 0.1 0.2\n", classes, "a.txt")).toEqual([
      { cls: "ebike", x: 0.25, y: 0.375, w: 0.5, h: 0.25 },
      { cls: "person", x: expect.closeTo(0.2) as number, y: expect.closeTo(0.65) as number, w: 0.1, h: 0.2 },
    ]);
  });

  it("refuses a class name linli does not know, naming the file and line", () => {
    expect(() => parseClassesTxt("ebike\nmotorcycle\n", "/data/classes.txt")).toThrow(/\/data\/classes\.txt:2: unknown class "motorcycle" \(linli's classes: ebike, bicycle/);
    expect(() => parseClassesTxt("ebike\n\nperson\n", "c.txt")).toThrow(/c\.txt:2: blank line inside the class list/);
  });

  it("refuses malformed lines, indices outside classes.txt and boxes outside the image", () => {
    const classes = parseClassesTxt("ebike\n", "classes.txt");
    expect(() => parseYoloLabels("0 0.5 0.5 0.5\n", classes, "x.txt")).toThrow(/x\.txt:1: expected "class cx cy w h", got "0 0.5 0.5 0.5"/);
    expect(() => parseYoloLabels("0 0.5 0.5 0.2 0.2\n0 a b c d\n", classes, "x.txt")).toThrow(/x\.txt:2: expected/);
    expect(() => parseYoloLabels("3 0.5 0.5 0.2 0.2\n", classes, "x.txt")).toThrow(/x\.txt:1: class index 3 is not in classes\.txt \(1 classes: 0-0\)/);
    expect(() => parseYoloLabels("0 0.9 0.5 0.5 0.2\n", classes, "x.txt")).toThrow(/x\.txt:1: box .* is not inside the image/);
  });
});

describe("VOC xml labels", () => {
  it("reads objects by class name, 1-based pixel corners, normalised by <size>", () => {
    const boxes = parseVocXml(voc(object("ebike") + object("stroller", "<xmin>1</xmin><ymin>1</ymin><xmax>200</xmax><ymax>100</ymax>")), "a.xml", { width: 1, height: 1 });
    expect(boxes[0]).toEqual({ cls: "ebike", x: 0.05, y: 0.2, w: expect.closeTo(0.5) as number, h: expect.closeTo(0.5) as number });
    expect(boxes[1]).toEqual({ cls: "stroller", x: 0, y: 0, w: 1, h: 1 });
  });

  it("takes the image's size when <size> is missing or zero", () => {
    expect(parseVocXml(voc(object("person"), ""), "a.xml", { width: 400, height: 200 })[0]).toMatchObject({ x: 10 / 400, w: expect.closeTo(100 / 400) as number });
  });

  it("refuses an unknown class, a missing box and a file that is not VOC, naming file and line", () => {
    expect(() => parseVocXml(voc(object("ebike") + object("scooter")), "/l/a.xml", { width: 1, height: 1 })).toThrow(/\/l\/a\.xml:10: unknown class "scooter"/);
    expect(() => parseVocXml(voc(object("ebike", "<xmin>50</xmin><ymin>1</ymin><xmax>10</xmax><ymax>9</ymax>")), "a.xml", { width: 1, height: 1 })).toThrow(/a\.xml:5: object "ebike" has no valid <bndbox>/);
    expect(() => parseVocXml("<html></html>", "a.xml", { width: 1, height: 1 })).toThrow(LabelError);
  });
});

describe("labelled folders", () => {
  async function folder(files: Record<string, string>, images: string[]) {
    const root = tempDir("labelled");
    await mkdir(path.join(root, "images"));
    await mkdir(path.join(root, "labels"));
    const jpeg = await image("coco-negative-0.jpg");
    for (const name of images) await writeFile(path.join(root, "images", name), name.startsWith("bad") ? Buffer.from("not an image") : jpeg);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
    return { images: path.join(root, "images"), labels: path.join(root, "labels") };
  }

  it("reads the shared lift-cctv-89 set: 52 frames, 47 e-bikes, classes.txt beside the labels", async () => {
    const { format, images } = await readLabelledFolder(liftCctv.images, liftCctv.labels);
    expect(format).toBe("yolo");
    expect(images).toHaveLength(52);
    expect(images.flatMap((im) => im.boxes).filter((b) => b.cls === "ebike")).toHaveLength(47);
    expect(images.filter((im) => im.boxes.length === 0)).toHaveLength(5);
  });

  it("needs classes.txt for YOLO labels, and says so", async () => {
    const set = await folder({ "labels/a.txt": "0 0.5 0.5 0.2 0.2\n" }, ["a.jpg"]);
    await expect(readLabelledFolder(set.images, set.labels)).rejects.toThrow(/YOLO labels need a classes\.txt/);
  });

  it("names an unreadable image instead of crashing", async () => {
    const set = await folder({ "labels/classes.txt": "ebike\n" }, ["a.jpg", "bad.jpg"]);
    await expect(readLabelledFolder(set.images, set.labels)).rejects.toThrow(/bad\.jpg: not a readable JPEG or PNG image/);
  });

  it("reads a VOC folder; an image without an xml is background", async () => {
    const set = await folder({ "labels/a.xml": voc(object("ebike")) }, ["a.jpg", "b.jpg"]);
    const { format, images } = await readLabelledFolder(set.images, set.labels);
    expect(format).toBe("voc");
    expect(images.map((im) => [im.name, im.boxes.length, im.labelled])).toEqual([["a.jpg", 1, true], ["b.jpg", 0, false]]);
  });
});

describe("split by capture time", () => {
  it("reads epoch seconds or milliseconds from file names", () => {
    expect(captureTime("1604535322.jpg")).toBe(1604535322);
    expect(captureTime("1604535322123-cam2.jpg")).toBe(1604535322.123);
    expect(captureTime("frame-12.jpg")).toBeUndefined();
  });

  it("trains on the oldest frames, validates on the next, holds back the latest", () => {
    const names = ["1600000005.jpg", "1600000001.jpg", "1600000009.jpg", "1600000003.jpg", "1600000007.jpg", "1600000002.jpg", "1600000004.jpg", "1600000006.jpg"].map((name) => ({ name }));
    const split = splitByTime(names, { val: 0.25, test: 0.25 });
    expect(split.train.map((x) => x.name)).toEqual(["1600000001.jpg", "1600000002.jpg", "1600000003.jpg", "1600000004.jpg"]);
    expect(split.val.map((x) => x.name)).toEqual(["1600000005.jpg", "1600000006.jpg"]);
    expect(split.test.map((x) => x.name)).toEqual(["1600000007.jpg", "1600000009.jpg"]);
    expect(split.testSince).toBe(1600000007);
    expect(() => splitByTime([{ name: "a.jpg" }], { val: 0.2, test: 0.2 })).toThrow(/needs file names that start with epoch seconds; these do not: a\.jpg/);
  });
});
