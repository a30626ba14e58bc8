import path from "node:path";
import { z } from "zod";
import { activeModelFile, modelsOf, readActiveModel, writeActiveModel } from "./active-model.ts";
import type { DetectorConfig } from "./config.ts";
import { evalModel, type FolderEval } from "./eval-folder.ts";
import { readLabelledFolder } from "./labels/folder.ts";
import { findManifest, manifestSchema } from "./manifest.ts";
import { appendPromotion, type ModelFigures, type PromotionLogEntry } from "./promotion-log.ts";

export { readPromotions, type ModelFigures, type PromotionLogEntry } from "./promotion-log.ts";

/** What a promotion attempt found, accepted or not; every one is kept in `<modelsDir>/promotions.jsonl`. */
export type PromotionResult = Omit<Extract<PromotionLogEntry, { kind: "promotion" }>, "kind">;

export interface PromotionOptions {
  candidate: string;
  heldoutImages: string;
  heldoutLabels: string;
  config: DetectorConfig;
  by: string;
  now?: number;
}

/** enough to roll back through a season of promotions without the record growing for ever */
const MAX_PREVIOUS = 20;

/** A model that is about to be named in active.json: a valid id with a manifest, checked before any work. */
async function checkModel(id: string, modelsDir: string): Promise<void> {
  const valid = manifestSchema.shape.id.safeParse(id);
  if (!valid.success) throw new Error(`"${id}" is not a model id: ${z.prettifyError(valid.error)}`);
  await findManifest(id, [modelsDir]);
}

function figuresOf(report: FolderEval): ModelFigures {
  const row = report.frames.find((f) => Math.abs(f.threshold - report.threshold) < 1e-9);
  if (!row) throw new Error(`evaluation of ${report.model} has no row at its own threshold ${report.threshold}`);
  return {
    model: report.model,
    threshold: report.threshold,
    ap50: report.ap50,
    ebikeFramesFound: row.ebikeFramesFound,
    ebikeFrames: row.ebikeFrames,
    cleanFramesFlagged: row.cleanFramesFlagged,
    cleanFrames: row.cleanFrames,
  };
}

/**
 * The two rules of promotion, each a sentence either way: the candidate may not miss an e-bike frame
 * the current model finds (on count), nor hold a lift for nothing more often.
 */
function judge(current: ModelFigures, candidate: ModelFigures): { accepted: boolean; reasons: string[] } {
  const c = candidate;
  const o = current;
  const recall = c.ebikeFramesFound >= o.ebikeFramesFound;
  const flags = c.cleanFramesFlagged <= o.cleanFramesFlagged;
  const found = `${c.model} finds ${c.ebikeFramesFound} of ${c.ebikeFrames} e-bike frames at threshold ${c.threshold}`;
  const flagged = `${c.model} flags ${c.cleanFramesFlagged} of ${c.cleanFrames} frames without an e-bike`;
  const recallSentence = recall
    ? `${found}, ${c.ebikeFramesFound > o.ebikeFramesFound ? "more than" : "as many as"} ${o.model} (${o.ebikeFramesFound} at threshold ${o.threshold}).`
    : `${found}, fewer than ${o.model} (${o.ebikeFramesFound} at threshold ${o.threshold}): it would miss e-bikes the current model holds lifts for.`;
  const flagSentence = flags
    ? `${flagged}, ${c.cleanFramesFlagged < o.cleanFramesFlagged ? "fewer than" : "no more than"} ${o.model} (${o.cleanFramesFlagged}).`
    : `${flagged}, more than ${o.model} (${o.cleanFramesFlagged}): it would hold lifts for nothing more often.`;
  if (recall && flags) return { accepted: true, reasons: [recallSentence, flagSentence] };
  return { accepted: false, reasons: [...(recall ? [] : [recallSentence]), ...(flags ? [] : [flagSentence])] };
}

/**
 * Compares a candidate with the current model on held-back labelled frames, each at its own
 * threshold and as the gateway would run it, and makes it the active model only if it loses no
 * e-bike frame and flags no more frames without one. The running gateway picks the change up from
 * active.json by itself. Refused or not, the comparison is appended to promotions.jsonl.
 */
export async function promoteModel(options: PromotionOptions): Promise<PromotionResult> {
  const { config, candidate, by } = options;
  const at = options.now ?? Date.now();
  const modelsDir = path.resolve(config.modelsDir);
  const current = await currentOf(config);
  if (candidate === current.model) throw new Error(`${candidate} is already the active model: there is nothing to compare it with`);
  await checkModel(candidate, modelsDir);
  const { images } = await readLabelledFolder(options.heldoutImages, options.heldoutLabels);
  const ebikeFrames = images.filter((im) => im.boxes.some((b) => b.cls === "ebike")).length;
  const cleanFrames = images.length - ebikeFrames;
  if (ebikeFrames === 0) throw new Error(`no held-back frame in ${options.heldoutImages} has a labelled e-bike: whether ${candidate} loses e-bikes cannot be judged`);
  if (cleanFrames === 0) throw new Error(`every held-back frame in ${options.heldoutImages} has a labelled e-bike: whether ${candidate} flags frames without one cannot be judged`);
  const figures = { current: figuresOf(await evalModel(config, current.model, images)), candidate: figuresOf(await evalModel(config, candidate, images)) };
  const verdict = judge(figures.current, figures.candidate);
  const heldout = { images: path.resolve(options.heldoutImages), labels: path.resolve(options.heldoutLabels), frames: images.length, ebikeFrames, cleanFrames };
  const result: PromotionResult = { ...verdict, at, by, ...figures, heldout };
  if (result.accepted) {
    // an evaluation takes a while: a promotion or rollback meanwhile makes this comparison void
    const now = await currentOf(config);
    if (now.model !== current.model) {
      result.accepted = false;
      result.reasons = [`The active model changed from ${current.model} to ${now.model} during the comparison: compare ${candidate} with ${now.model} again.`];
    } else {
      await writeActiveModel(modelsDir, {
        model: candidate,
        previous: [current.model, ...current.previous].slice(0, MAX_PREVIOUS),
        // a shadow that is promoted stops shadowing itself
        ...(now.shadow !== undefined && now.shadow !== candidate ? { shadow: now.shadow } : {}),
        changedAt: at,
        by,
        reason: `promoted over ${current.model} on ${images.length} held-back frames: ${verdict.reasons.join(" ")}`,
      });
    }
  }
  await appendPromotion(modelsDir, { kind: "promotion", ...result });
  return result;
}

/** The live models as the record (or, without one, the config) has them, with the rollback list. */
async function currentOf(config: DetectorConfig): Promise<{ model: string; shadow: string | undefined; previous: string[] }> {
  const record = await readActiveModel(config.modelsDir);
  return { ...modelsOf(record, config), previous: record?.previous ?? [] };
}

/** Makes the model before the active one active again; the running gateway switches by itself. */
export async function rollbackModel(options: { config: DetectorConfig; by: string; now?: number }): Promise<{ from: string; to: string }> {
  const { config, by } = options;
  const modelsDir = path.resolve(config.modelsDir);
  const record = await readActiveModel(modelsDir);
  const to = record?.previous[0];
  if (!record || to === undefined) {
    throw new Error(`no model to roll back to: ${record ? `${activeModelFile(modelsDir)} lists no previous model` : `there is no ${activeModelFile(modelsDir)} (the gateway runs detector.model ${config.model})`}`);
  }
  await checkModel(to, modelsDir);
  const at = options.now ?? Date.now();
  await writeActiveModel(modelsDir, {
    model: to,
    previous: record.previous.slice(1),
    ...(record.shadow !== undefined && record.shadow !== to ? { shadow: record.shadow } : {}),
    changedAt: at,
    by,
    reason: `rolled back from ${record.model}`,
  });
  await appendPromotion(modelsDir, { kind: "rollback", at, by, from: record.model, to });
  return { from: record.model, to };
}

/** Starts (or with null, stops) a shadow model beside the active one; the running gateway follows. */
export async function setShadowModel(options: { config: DetectorConfig; model: string | null; by: string; now?: number }): Promise<{ from: string | null; to: string | null }> {
  const { config, model, by } = options;
  const modelsDir = path.resolve(config.modelsDir);
  const current = await currentOf(config);
  const from = current.shadow ?? null;
  if (model === current.model) throw new Error(`${model} is the active model: a shadow must be another model`);
  if (model === from) return { from, to: model };
  if (model !== null) await checkModel(model, modelsDir);
  const at = options.now ?? Date.now();
  await writeActiveModel(modelsDir, {
    model: current.model,
    previous: current.previous,
    ...(model === null ? {} : { shadow: model }),
    changedAt: at,
    by,
    reason: model === null ? `shadow ${from} stopped` : `shadow set to ${model}`,
  });
  await appendPromotion(modelsDir, { kind: "shadow", at, by, from, to: model });
  return { from, to: model };
}
