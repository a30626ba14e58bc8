import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { annotate } from "./annotate.ts";
import type { DetectorConfig } from "./config.ts";
import type { Detector } from "./detector.ts";
import { bestScore, evaluate, type EvalReport, type ImageEval } from "./evaluate.ts";
import { captureTime } from "./labels/capture-time.ts";
import { readLabelledFolder, type LabelledImage } from "./labels/folder.ts";
import { nms } from "./nms.ts";
import { openDetector } from "./open.ts";
import type { Detection } from "./types.ts";

/** One frame's outcome at the model's threshold: the guard's view of it. */
export interface FrameResult {
  name: string;
  ebikes: number;
  bestEbikeScore: number;
  holdCandidate: boolean;
  /** a frame with an e-bike that is not a candidate, or one without that is */
  wrong: boolean;
}

export interface FolderEval extends EvalReport {
  model: string;
  threshold: number;
  unlabelled: number;
  /** labelled objects per linli class: what the folder holds besides e-bikes */
  classCounts: Record<string, number>;
  perImage: FrameResult[];
}

export interface EvalOptions {
  thresholds: readonly number[];
  /** only frames captured at or after this epoch second (the held-back frames of a time split) */
  since?: number | undefined;
  /** write the frames the model got wrong here, annotated with its detections and the labels */
  wrongDir?: string | undefined;
}

/** The labelled folder, optionally only its frames from `since` on. */
export async function selectFrames(imagesDir: string, labelsDir: string, since: number | undefined): Promise<LabelledImage[]> {
  const { images } = await readLabelledFolder(imagesDir, labelsDir);
  if (since === undefined) return images;
  const chosen = images.filter((im) => (captureTime(im.name) ?? -Infinity) >= since);
  if (chosen.length === 0) throw new Error(`no frame in ${imagesDir} is named by a capture time at or after ${since}`);
  return chosen;
}

const toPixels = (im: LabelledImage) => im.boxes.filter((b) => b.cls === "ebike").map((b) => ({ x: b.x * im.width, y: b.y * im.height, w: b.w * im.width, h: b.h * im.height }));

/** The labels drawn as detections (score 1), so a wrong frame shows what should have been found. */
const labelOverlay = (im: LabelledImage): Detection[] =>
  im.boxes.map((b) => ({ cls: -1, label: `label: ${b.cls}`, score: 1, ebike: false, box: { x: b.x * im.width, y: b.y * im.height, w: b.w * im.width, h: b.h * im.height } }));

/** Runs the model over labelled frames and scores its e-bike calls per box and per frame. */
export async function evalFrames(detector: Detector, frames: readonly LabelledImage[], options: EvalOptions): Promise<FolderEval> {
  const floor = Math.min(...options.thresholds);
  const images: ImageEval[] = [];
  const perImage: FrameResult[] = [];
  const classCounts: Record<string, number> = {};
  for (const frame of frames) {
    for (const b of frame.boxes) classCounts[b.cls] = (classCounts[b.cls] ?? 0) + 1;
    const bytes = await readFile(frame.image);
    const result = await detector.detect(bytes, floor);
    // one e-bike is often called both bicycle and motorbike: merge across e-bike classes before matching
    const ebikes = nms(result.detections.filter((d) => d.ebike).map((d) => ({ ...d, cls: 0 })), 0.5);
    const image = { truths: toPixels(frame), predictions: ebikes.map((d) => ({ score: d.score, box: d.box })) };
    images.push(image);
    const best = bestScore(image);
    const holdCandidate = best > 0 && best >= detector.threshold;
    const wrong = holdCandidate !== image.truths.length > 0;
    perImage.push({ name: frame.name, ebikes: image.truths.length, bestEbikeScore: Math.round(best * 1000) / 1000, holdCandidate, wrong });
    if (wrong && options.wrongDir) {
      await mkdir(options.wrongDir, { recursive: true });
      const shown = [...labelOverlay(frame), ...result.detections.filter((d) => d.score >= detector.threshold)];
      await writeFile(path.join(options.wrongDir, frame.name.replace(/\.[^.]*$/, ".jpg")), await annotate(bytes, result.frameWidth, result.frameHeight, shown));
    }
  }
  return {
    ...evaluate(images, options.thresholds),
    model: detector.manifest.id,
    threshold: detector.threshold,
    unlabelled: frames.filter((f) => !f.labelled).length,
    classCounts,
    perImage,
  };
}

/** The thresholds an evaluation reports: every 0.05, and the model's own. */
export const evalThresholds = (modelThreshold: number) => [...new Set([...Array.from({ length: 19 }, (_, i) => (i + 1) / 20), modelThreshold])].sort((a, b) => a - b);

/**
 * One model of the config, opened as the gateway would run it (its `scoreThreshold` and
 * `ebikeClasses` included), evaluated on the frames, and closed again.
 */
export async function evalModel(config: DetectorConfig, model: string, frames: readonly LabelledImage[], options: { wrongDir?: string | undefined; progress?: boolean } = {}): Promise<FolderEval> {
  const detector = await openDetector({ ...config, model }, { progress: options.progress ?? false });
  try {
    return await evalFrames(detector, frames, { thresholds: evalThresholds(detector.threshold), wrongDir: options.wrongDir });
  } finally {
    await detector.close();
  }
}
