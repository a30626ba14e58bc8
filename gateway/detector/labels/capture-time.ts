import type { LabelledImage } from "./folder.ts";

/**
 * A frame's capture time from its file name: CCTV exports name frames by epoch seconds (or
 * milliseconds), e.g. 1604535322.jpg. Undefined when the name does not start with one.
 */
export function captureTime(name: string): number | undefined {
  const digits = /^(\d{10}|\d{13})(?!\d)/.exec(name)?.[1];
  if (digits === undefined) return undefined;
  return digits.length === 13 ? Number(digits) / 1000 : Number(digits);
}

export interface TimeSplit<T> {
  train: T[];
  val: T[];
  /** held back from training and validation: the latest frames, for the model card's figures */
  test: T[];
  /** the first held-back frame's capture time (epoch seconds): `models eval --since` selects them */
  testSince: number | undefined;
}

/**
 * Splits frames by capture time, oldest for training, then validation, the latest held back. A split
 * in time, not at random: neighbouring frames of one camera are near copies, so a random split
 * would score a model on frames it has all but seen.
 */
export function splitByTime<T extends Pick<LabelledImage, "name">>(images: readonly T[], shares: { val: number; test: number }): TimeSplit<T> {
  const timed = images.map((im) => ({ im, t: captureTime(im.name) }));
  const untimed = timed.filter((x) => x.t === undefined).map((x) => x.im.name);
  if (untimed.length > 0) throw new Error(`a split by capture time needs file names that start with epoch seconds; these do not: ${untimed.slice(0, 3).join(", ")}${untimed.length > 3 ? ", ..." : ""}`);
  const sorted = timed.sort((a, b) => a.t! - b.t! || a.im.name.localeCompare(b.im.name));
  const test = Math.round(sorted.length * shares.test);
  const val = Math.max(1, Math.round(sorted.length * shares.val));
  if (sorted.length - test - val < 1) throw new Error(`${sorted.length} frames are too few to split for training, validation and held-back testing`);
  const trainEnd = sorted.length - test - val;
  return {
    train: sorted.slice(0, trainEnd).map((x) => x.im),
    val: sorted.slice(trainEnd, trainEnd + val).map((x) => x.im),
    test: sorted.slice(trainEnd + val).map((x) => x.im),
    testSince: test > 0 ? sorted[trainEnd + val]!.t : undefined,
  };
}
