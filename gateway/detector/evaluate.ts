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

/**
 * The guard's question per threshold: a frame with any e-bike call is a hold candidate. Of the
 * frames with a labelled e-bike, how many are candidates; of the frames without, how many.
 */
export interface FrameRow {
  threshold: number;
  ebikeFrames: number;
  ebikeFramesFound: number;
  cleanFrames: number;
  cleanFramesFlagged: number;
  /** NaN without frames of that kind */
  frameRecall: number;
  falseHoldRate: number;
}

export interface EvalReport {
  images: number;
  truths: number;
  /** average precision at IoU 0.5, all-point interpolated; NaN without labelled e-bikes */
  ap50: number;
  rows: ThresholdRow[];
  frames: FrameRow[];
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
  return { images: images.length, truths, ap50: averagePrecision(matches, truths), rows, frames: frameRows(images, thresholds), recommended };
}

/** A frame's best e-bike call: what decides whether it is a hold candidate at a threshold. */
export const bestScore = (image: ImageEval) => image.predictions.reduce((m, p) => Math.max(m, p.score), 0);

export function frameRows(images: readonly ImageEval[], thresholds: readonly number[]): FrameRow[] {
  const withEbike = images.filter((im) => im.truths.length > 0).map(bestScore);
  const clean = images.filter((im) => im.truths.length === 0).map(bestScore);
  return thresholds.map((threshold) => {
    const found = withEbike.filter((s) => s > 0 && s >= threshold).length;
    const flagged = clean.filter((s) => s > 0 && s >= threshold).length;
    return {
      threshold,
      ebikeFrames: withEbike.length,
      ebikeFramesFound: found,
      cleanFrames: clean.length,
      cleanFramesFlagged: flagged,
      frameRecall: withEbike.length > 0 ? found / withEbike.length : NaN,
      falseHoldRate: clean.length > 0 ? flagged / clean.length : NaN,
    };
  });
}
