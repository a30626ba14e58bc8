import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { LabelError, type LabelBox } from "./classes.ts";
import { parseVocXml } from "./voc.ts";
import { parseClassesTxt, parseYoloLabels } from "./yolo.ts";
import { loadSharp } from "../../sharp.ts";

export const IMAGE_EXT = /\.(jpe?g|png)$/i;

export interface LabelledImage {
  /** absolute path of the image */
  image: string;
  name: string;
  width: number;
  height: number;
  boxes: LabelBox[];
  /** false when the image has no label file: YOLO and VOC both read that as a background image */
  labelled: boolean;
}

export type LabelFormat = "yolo" | "voc";

/** classes.txt in the labels folder, or beside it (the layout of a dataset with images/ and labels/). */
function classesFile(labelsDir: string): string | undefined {
  return [path.join(labelsDir, "classes.txt"), path.join(path.dirname(labelsDir), "classes.txt")].find((f) => existsSync(f));
}

async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const sharp = await loadSharp();
  try {
    const meta = await sharp(file).metadata();
    if (meta.width && meta.height) return { width: meta.width, height: meta.height };
  } catch {
    // reported below, with the file's name
  }
  throw new LabelError(file, undefined, "not a readable JPEG or PNG image");
}

/**
 * A folder of images and their labels, YOLO txt (with a classes.txt naming the indices) or VOC xml,
 * read and checked whole before anything runs on it: a bad label stops an evaluation or a training
 * run at the start, naming its file and line, rather than half way through.
 */
export async function readLabelledFolder(imagesDir: string, labelsDir: string): Promise<{ format: LabelFormat; images: LabelledImage[] }> {
  if (!existsSync(imagesDir)) throw new Error(`images folder ${imagesDir} does not exist`);
  if (!existsSync(labelsDir)) throw new Error(`labels folder ${labelsDir} does not exist`);
  const names = (await readdir(imagesDir)).filter((f) => IMAGE_EXT.test(f)).sort();
  if (names.length === 0) throw new Error(`no JPEG or PNG images in ${imagesDir}`);
  const labelNames = await readdir(labelsDir);
  const voc = labelNames.some((f) => f.endsWith(".xml"));
  const classesTxt = classesFile(labelsDir);
  if (voc && classesTxt === undefined && labelNames.some((f) => f.endsWith(".txt"))) {
    throw new Error(`${labelsDir} has both .xml and .txt labels: keep one format per folder`);
  }
  if (!voc && classesTxt === undefined) {
    throw new Error(`${labelsDir}: YOLO labels need a classes.txt (one linli class name per line, in index order) in the labels folder or beside it`);
  }
  const format: LabelFormat = voc ? "voc" : "yolo";
  const classes = format === "yolo" ? parseClassesTxt(await readFile(classesTxt!, "utf8"), classesTxt!) : [];
  const images: LabelledImage[] = [];
  for (const name of names) {
    const image = path.resolve(imagesDir, name);
    const size = await imageSize(image);
    const labelFile = path.join(labelsDir, name.replace(/\.[^.]*$/, format === "voc" ? ".xml" : ".txt"));
    const labelled = existsSync(labelFile);
    const text = labelled ? await readFile(labelFile, "utf8") : "";
    const boxes = !labelled ? [] : format === "voc" ? parseVocXml(text, labelFile, size) : parseYoloLabels(text, classes, labelFile);
    images.push({ image, name, ...size, boxes, labelled });
  }
  return { format, images };
}
