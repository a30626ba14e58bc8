import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerDetectorCommands } from "../gateway/detector/cli.ts";
import { readLabelledFolder } from "../gateway/detector/labels/folder.ts";
import { liftCctv, sharedModels, tempDir } from "./detector-fixtures.ts";

function cli() {
  const out: string[] = [];
  const program = new Command("linli").exitOverride();
  registerDetectorCommands(program, { out: (l) => out.push(l), err: () => undefined });
  return { out, run: (...args: string[]) => program.parseAsync(args, { from: "user" }) };
}

interface JsonReport {
  models: Array<{ model: string; ap50: number | null; threshold: number; truths: number; frames: Array<{ threshold: number; ebikeFrames: number; cleanFrames: number; ebikeFramesFound: number }>; perImage: Array<{ name: string; wrong: boolean; holdCandidate: boolean }> }>;
}

/** lift-cctv-89's YOLO labels rewritten as VOC xml (1920x1080 frames), in a temp folder beside nothing else. */
async function vocLabels(): Promise<string> {
  const dir = tempDir("voc");
  const { images } = await readLabelledFolder(liftCctv.images, liftCctv.labels);
  for (const im of images) {
    const objects = im.boxes.map((b) => `<object><name>${b.cls}</name><bndbox><xmin>${Math.round(b.x * im.width) + 1}</xmin><ymin>${Math.round(b.y * im.height) + 1}</ymin><xmax>${Math.round((b.x + b.w) * im.width)}</xmax><ymax>${Math.round((b.y + b.h) * im.height)}</ymax></bndbox></object>`);
    await writeFile(path.join(dir, im.name.replace(".jpg", ".xml")), `<annotation><filename>${im.name}</filename><size><width>${im.width}</width><height>${im.height}</height></size>${objects.join("")}</annotation>`);
  }
  return dir;
}

describe("models eval on real lift CCTV frames", () => {
  it("answers per box and per frame, two models side by side, and writes the frames each got wrong", async () => {
    const wrong = tempDir("wrong");
    const { out, run } = cli();
    await run("models", "eval", "--images", liftCctv.images, "--labels", liftCctv.labels, "--models-dir", tempDir("models"), "--mirror", sharedModels, "--compare", "yolox-nano-coco-416", "--wrong", wrong);
    const text = out.join("\n");
    expect(text).toMatch(/model fastestdet-coco-352: 52 images \(0 without a label file, taken as background\), 47 labelled e-bikes/);
    expect(text).toMatch(/e-bike frames found\s+clean frames flagged/);
    expect(text).toMatch(/e-bike frames found\s+\d+\/47 .*\d+\/47/);
    expect(text).toMatch(/frames without e-bike flagged\s+\d\/5/);
    const written = await readdir(path.join(wrong, "fastestdet-coco-352"));
    const wrongLine = out.find((l) => l.startsWith("at the model's threshold 0.5"))!;
    expect(written.length).toBe(Number(/: (\d+) frame\(s\) wrong/.exec(wrongLine)![1]));
    expect(existsSync(path.join(wrong, "yolox-nano-coco-416"))).toBe(true);
  });

  it("reads the same frames from VOC xml and gives the same figures as from YOLO txt (--json)", async () => {
    const models = tempDir("models");
    const yolo = cli();
    await yolo.run("models", "eval", "--json", "--images", liftCctv.images, "--labels", liftCctv.labels, "--models-dir", models, "--mirror", sharedModels);
    const voc = cli();
    await voc.run("models", "eval", "--json", "--images", liftCctv.images, "--labels", await vocLabels(), "--models-dir", models, "--mirror", sharedModels);
    const a = (JSON.parse(yolo.out[0]!) as JsonReport).models[0]!;
    const b = (JSON.parse(voc.out[0]!) as JsonReport).models[0]!;
    expect(a.truths).toBe(47);
    expect(b.truths).toBe(47);
    expect(b.ap50).toBeCloseTo(a.ap50!, 2);
    expect(b.frames).toEqual(a.frames);
    expect(a.frames[0]).toMatchObject({ ebikeFrames: 47, cleanFrames: 5 });
  });

  it("--since keeps only the frames captured from that epoch second on", async () => {
    const { out, run } = cli();
    await run("models", "eval", "--json", "--since", "1607035104", "--images", liftCctv.images, "--labels", liftCctv.labels, "--models-dir", tempDir("models"), "--mirror", sharedModels);
    const report = (JSON.parse(out[0]!) as JsonReport).models[0]!;
    expect(report.perImage.map((p) => p.name)[0]).toBe("1607035104.jpg");
    expect(report.perImage).toHaveLength(13);
  });

  it("a label naming an unknown class stops the evaluation, naming file and line", async () => {
    const labels = tempDir("labels");
    await writeFile(path.join(labels, "classes.txt"), "ebike\nscooter\n");
    const { run } = cli();
    await expect(run("models", "eval", "--images", liftCctv.images, "--labels", labels, "--models-dir", tempDir("models"), "--mirror", sharedModels)).rejects.toThrow(/classes\.txt:2: unknown class "scooter"/);
  });
});
