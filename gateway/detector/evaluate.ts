import { iou } from "./geometry.ts";
import type { Box } from "./types.ts";

/** One image of an evaluation set: its labelled e-bikes and the model's scored e-bike boxes. */
export interface ImageEval {
  truths: readonly Box[];
  predictions: ReadonlyArray<{ score: number; box: Box }>;
}

export interface ThresholdRow {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  /** NaN when nothing was predicted at this threshold */
  precision: number;
  /** NaN when the set has no labelled e-bike */
  recall: number;
  f1: number;
}

export interface EvalReport {
  images: number;
  truths: number;
  /** average precision at IoU 0.5, all-point interpolated; NaN without labelled e-bikes */
  ap50: number;
  rows: ThresholdRow[];
  /** best F1; ties go to fewer false positives, then the higher threshold (a false hold costs residents) */
  recommended: ThresholdRow;
}

export const IOU_MATCH = 0.5;

/**
 * Greedy matching in score order: each prediction takes the unmatched truth it overlaps most, if by
 * at least IoU 0.5. Matching in score order makes the result for any threshold the prefix of this one.
 */
export function matchImage(image: ImageEval): Array<{ score: number; tp: boolean }> {
  const used = new Set<number>();
  return [...image.predictions]
    .sort((a, b) => b.score - a.score)
    .map((p) => {
      let best = -1;
      let bestIou = IOU_MATCH;
      image.truths.forEach((t, i) => {
        const overlap = iou(p.box, t);
        if (!used.has(i) && overlap >= bestIou) {
          best = i;
          bestIou = overlap;
        }
      });
      if (best >= 0) used.add(best);
      return { score: p.score, tp: best >= 0 };
    });
}

/** All-point interpolated AP over score-ranked matches (the PASCAL VOC 2010+ definition). */
export function averagePrecision(matches: ReadonlyArray<{ score: number; tp: boolean }>, truths: number): number {
  if (truths === 0) return NaN;
  const ranked = [...matches].sort((a, b) => b.score - a.score);
  const recall: number[] = [0];
  const precision: number[] = [1];
  let tp = 0;
  ranked.forEach((m, i) => {
    if (m.tp) tp++;
    recall.push(tp / truths);
    precision.push(tp / (i + 1));
  });
  // precision envelope: from the right, each point takes the best precision at any higher recall
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let ap = 0;
  for (let i = 1; i < recall.length; i++) ap += (recall[i]! - recall[i - 1]!) * precision[i]!;
  return ap;
}

export function evaluate(images: readonly ImageEval[], thresholds: readonly number[]): EvalReport {
  const matches = images.flatMap(matchImage);
  const truths = images.reduce((n, im) => n + im.truths.length, 0);
  const rows = thresholds.map((threshold): ThresholdRow => {
    const above = matches.filter((m) => m.score >= threshold);
    const tp = above.filter((m) => m.tp).length;
    const fp = above.length - tp;
    const fn = truths - tp;
    const precision = above.length > 0 ? tp / above.length : NaN;
    const recall = truths > 0 ? tp / truths : NaN;
    const f1 = tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
    return { threshold, tp, fp, fn, precision, recall, f1 };
  });
  const recommended = rows.reduce((best, r) => {
    if (r.f1 !== best.f1) return r.f1 > best.f1 ? r : best;
    if (r.fp !== best.fp) return r.fp < best.fp ? r : best;
    return r.threshold > best.threshold ? r : best;
  });
  return { images: images.length, truths, ap50: averagePrecision(matches, truths), rows, recommended };
}

/**
 * YOLO label text (`cls cx cy w h` per line, normalised to the image) to pixel boxes of the
 * given classes. A malformed line is an error naming the line, not a silent skip.
 */
export function parseYoloLabels(text: string, width: number, height: number, classes: ReadonlySet<number>, source: string): Box[] {
  const boxes: Box[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const fields = line.trim().split(/\s+/).filter((f) => f.length > 0);
    if (fields.length === 0) return;
    const nums = fields.map(Number);
    const [cls, cx, cy, w, h] = nums;
    if (nums.length !== 5 || cls === undefined || cx === undefined || cy === undefined || w === undefined || h === undefined || nums.some((n) => !Number.isFinite(n)) || !Number.isInteger(cls)) {
      throw new Error(`${source}:${i + 1}: expected "class cx cy w h", got "${line.trim()}"`);
    }
    if (classes.has(cls)) boxes.push({ x: (cx - w / 2) * width, y: (cy - h / 2) * height, w: w * width, h: h * height });
  });
  return boxes;
}
