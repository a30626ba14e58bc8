import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { LINLI_CLASSES } from "../detector/labels/classes.ts";
import type { EvidenceStore } from "../evidence/store.ts";
import type { CollectedFrame, FrameStore } from "./store.ts";

export interface ExportOptions {
  out: string;
  /** per lift, the latest share of its labelled frames (by capture time) goes to the held-back set */
  heldoutShare: number;
  /** lifts whose frames all go to the held-back set: a model is then judged on a camera it never saw */
  heldoutLifts: readonly string[];
}

export interface SetSummary {
  frames: number;
  ebikeFrames: number;
  /** frames without an e-bike: what a model must not hold for */
  cleanFrames: number;
  lifts: string[];
}

export interface ExportSummary {
  out: string;
  train: SetSummary;
  heldout: SetSummary;
  /** per lift, the capture time (epoch seconds) from which its frames are held back; absent when none are */
  heldoutSince: Record<string, number>;
  /** labelled frames whose picture is gone (retention): not exported */
  missing: number;
}

const hasEbike = (f: CollectedFrame) => (f.labels ?? []).some((b) => b.cls === "ebike");

/**
 * Splits labelled frames by lift and capture time: per lift, the oldest go to training and the
 * latest `heldoutShare` are held back, so a model is judged on later frames than it learnt from
 * (neighbouring frames of one camera are near copies; a random split would flatter it). A lift with
 * a single labelled frame trains. Lifts named in `heldoutLifts` are held back whole.
 */
export function splitFrames(frames: readonly CollectedFrame[], options: Pick<ExportOptions, "heldoutShare" | "heldoutLifts">): { train: CollectedFrame[]; heldout: CollectedFrame[]; heldoutSince: Record<string, number> } {
  const byLift = new Map<string, CollectedFrame[]>();
  for (const f of frames) byLift.set(f.lift, [...(byLift.get(f.lift) ?? []), f]);
  const train: CollectedFrame[] = [];
  const heldout: CollectedFrame[] = [];
  const heldoutSince: Record<string, number> = {};
  for (const [lift, list] of [...byLift].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...list].sort((a, b) => a.capturedAt - b.capturedAt || a.id.localeCompare(b.id));
    const held = options.heldoutLifts.includes(lift) ? sorted.length : sorted.length < 2 ? 0 : Math.max(1, Math.round(sorted.length * options.heldoutShare));
    const cut = sorted.length - held;
    train.push(...sorted.slice(0, cut));
    heldout.push(...sorted.slice(cut));
    if (held > 0) heldoutSince[lift] = Math.floor(sorted[cut]!.capturedAt / 1000);
  }
  return { train, heldout, heldoutSince };
}

/** `<capture epoch seconds>-<lift>-<id>`: models train and eval read the capture time from the name. */
export const exportName = (f: CollectedFrame) => `${Math.floor(f.capturedAt / 1000)}-${f.lift.replace(/[^A-Za-z0-9_.-]/g, "_")}-${f.id}`;

/** YOLO txt: `class cx cy w h`, normalised, class indices from classes.txt (linli's classes in order). */
export function yoloLines(f: CollectedFrame): string {
  return (f.labels ?? []).map((b) => [LINLI_CLASSES.indexOf(b.cls), b.x + b.w / 2, b.y + b.h / 2, b.w, b.h].map((v, i) => (i === 0 ? String(v) : v.toFixed(6))).join(" ")).join("\n");
}

async function writeSet(dir: string, frames: readonly CollectedFrame[], evidence: EvidenceStore): Promise<{ summary: SetSummary; missing: number }> {
  await mkdir(path.join(dir, "images"), { recursive: true });
  await mkdir(path.join(dir, "labels"), { recursive: true });
  await writeFile(path.join(dir, "classes.txt"), LINLI_CLASSES.join("\n") + "\n");
  const written: CollectedFrame[] = [];
  let missing = 0;
  for (const f of frames) {
    const record = evidence.get(f.evidenceId);
    if (!record) {
      missing++;
      continue;
    }
    const name = exportName(f);
    await copyFile(evidence.path(record), path.join(dir, "images", `${name}${record.mime === "image/png" ? ".png" : ".jpg"}`));
    await writeFile(path.join(dir, "labels", `${name}.txt`), yoloLines(f));
    written.push(f);
  }
  const ebikeFrames = written.filter(hasEbike).length;
  return { summary: { frames: written.length, ebikeFrames, cleanFrames: written.length - ebikeFrames, lifts: [...new Set(written.map((f) => f.lift))].sort() }, missing };
}

/**
 * `linli dataset export`: the labelled frames as two folders that `models train` and `models eval`
 * read (images/, labels/ as YOLO txt, classes.txt), `train/` and `heldout/`, and dataset.json saying
 * how they were split. The folder is replaced, so a frame deleted in the gateway leaves it too.
 */
export async function exportDataset(store: FrameStore, evidence: EvidenceStore, options: ExportOptions): Promise<ExportSummary> {
  const split = splitFrames(store.labelled(), options);
  await rm(options.out, { recursive: true, force: true });
  const train = await writeSet(path.join(options.out, "train"), split.train, evidence);
  const heldout = await writeSet(path.join(options.out, "heldout"), split.heldout, evidence);
  const summary: ExportSummary = { out: options.out, train: train.summary, heldout: heldout.summary, heldoutSince: split.heldoutSince, missing: train.missing + heldout.missing };
  await writeFile(path.join(options.out, "dataset.json"), JSON.stringify({ exportedAt: new Date().toISOString(), heldoutShare: options.heldoutShare, heldoutLifts: options.heldoutLifts, ...summary }, null, 2) + "\n");
  return summary;
}
