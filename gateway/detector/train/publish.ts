import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import type { FolderEval } from "../eval-folder.ts";
import { LINLI_CLASSES } from "../labels/classes.ts";
import type { ManifestFile, ModelManifest } from "../manifest.ts";
import { sha256File } from "../store.ts";
import type { Judged, TrainerEvent, TrainSettings, VerifierOutcome } from "./trainer.ts";

export interface TrainedModel {
  id: string;
  base: ModelManifest;
  onnx: string;
  /** the crop verifier's ONNX, when training kept it */
  verifier: string | undefined;
  threshold: number;
  dataset: { images: string; labels: string; train: number; val: number; test: number; testSince: number | undefined };
  settings: TrainSettings;
  result: Extract<TrainerEvent, { event: "done" }>;
  /** the base model and the trained one on the held-back frames; absent without held-back frames */
  heldBack?: { base: FolderEval; trained: FolderEval } | undefined;
}

/** The manifest of a fine-tuned FastestDet: the base's input contract, linli's classes, its own hash. */
export async function manifestOf(model: TrainedModel): Promise<ManifestFile> {
  const { name: _exportedAs, ...input } = model.base.input;
  return {
    id: model.id,
    title: `${model.base.title}, fine-tuned on ${path.basename(path.resolve(model.dataset.images, ".."))}`,
    family: model.base.family,
    file: path.basename(model.onnx),
    bytes: (await stat(model.onnx)).size,
    sha256: await sha256File(model.onnx),
    source: `linli models train from ${model.base.id}, seed ${model.settings.seed}`,
    licence: model.base.train?.licence ?? model.base.licence,
    card: `${model.id}.md`,
    input: { ...input, name: "input" },
    labels: [...LINLI_CLASSES],
    classes: Object.fromEntries(LINLI_CLASSES.map((c) => [c, c])),
    ...(model.verifier && model.result.verifier ? { verifier: await verifierBlock(model.verifier, model.result.verifier) } : {}),
    thresholds: { score: model.threshold, iou: model.base.thresholds.iou },
  };
}

async function verifierBlock(file: string, outcome: VerifierOutcome): Promise<NonNullable<ManifestFile["verifier"]>> {
  return { file: path.basename(file), bytes: (await stat(file)).size, sha256: await sha256File(file), size: outcome.cropSize, context: outcome.context };
}

const judgedCells = (j: Judged) => `${j.ap50 === null ? "n/a" : j.ap50.toFixed(3)} | ${j.found}/${j.ebikeFrames} | ${j.flagged}/${j.cleanFrames}`;

function verifierSection(model: TrainedModel): string[] {
  const v = model.result.verifier;
  if (!v) return ["**Verifier.** Not tried (--no-verifier): the detector's score alone decides."];
  const lines = [
    `**Verifier.** A crop classifier behind the detector, trained on the detector's own e-bike calls (${v.positives} crops on labelled e-bikes, ${v.negatives} on anything else${v.seconds === undefined ? "" : `; ${v.seconds} s`}), ${v.kept ? "kept" : "not kept"}: ${v.why}. ${v.kept ? "Each e-bike call's score is the geometric mean of the detector's and the verifier's." : "The detector's score alone decides."}`,
  ];
  if (v.val) {
    lines.push("", `On the validation frames at threshold ${model.threshold}:`, "", "| | AP50 (e-bike) | e-bike frames found | frames without e-bike flagged |", "|---|---|---|---|", `| detector alone | ${judgedCells(v.val.alone)} |`, `| with the verifier | ${judgedCells(v.val.verified)} |`);
  }
  return lines;
}

const pct = (n: number) => (Number.isNaN(n) ? "-" : `${(n * 100).toFixed(1)}%`);

function heldBackTable(h: NonNullable<TrainedModel["heldBack"]>): string[] {
  const line = (r: FolderEval) => {
    const f = r.frames.find((x) => Math.abs(x.threshold - r.threshold) < 1e-9)!;
    const b = r.rows.find((x) => Math.abs(x.threshold - r.threshold) < 1e-9)!;
    return `| ${r.model} | ${r.threshold} | ${Number.isNaN(r.ap50) ? "n/a" : r.ap50.toFixed(3)} | ${pct(b.precision)} / ${pct(b.recall)} | ${f.ebikeFramesFound}/${f.ebikeFrames} | ${f.cleanFramesFlagged}/${f.cleanFrames} |`;
  };
  return ["| model | threshold | AP50 (e-bike) | box precision / recall | e-bike frames found | frames without e-bike flagged |", "|---|---|---|---|---|---|", line(h.base), line(h.trained)];
}

/** The model card: what it is, what it was trained on, how, and how good it is on frames it never saw. */
export function cardOf(model: TrainedModel, manifest: ManifestFile, modelsDir: string): string {
  const d = model.dataset;
  const r = model.result;
  const s = model.settings;
  const evalCmd = `linli models eval --model ${model.id} --compare ${model.base.id} --models-dir ${modelsDir} --images ${d.images} --labels ${d.labels}${d.testSince === undefined ? "" : ` --since ${d.testSince}`}`;
  return [
    `# Model card: ${model.id}`,
    "",
    `**What it is.** ${model.base.title} fine-tuned by \`linli models train\` for linli's classes (${LINLI_CLASSES.join(", ")}); only \`ebike\` holds a lift. Same input contract as the base model; exported to ONNX for the \`${manifest.family}\` decoder. SHA-256 ${manifest.sha256}.`,
    "",
    `**Licence.** ${manifest.licence} (the base model's trainable weights).`,
    "",
    `**Data.** ${d.images} with labels ${d.labels}, split by capture time (file names are epoch seconds): the oldest ${d.train} frames for training, the next ${d.val} for validation (early stopping), the latest ${d.test} held back${d.testSince === undefined ? "" : ` (captured from ${d.testSince} on)`} and used only for the figures below.`,
    "",
    `**Training.** seed ${s.seed}, batch ${s.batchSize}, learning rate ${s.learningRate}, at most ${s.maxEpochs} epochs or ${s.maxSeconds} s, patience ${s.patience}, ${r.threads} CPU thread(s): ran ${r.epochs} epochs in ${r.seconds} s, stopped by ${r.stopped === "early" ? "early stopping" : r.stopped === "time" ? "the time limit" : "the epoch limit"}; kept epoch ${r.bestEpoch} (validation AP50 ${r.valAp50 ?? "n/a"}).`,
    "",
    ...verifierSection(model),
    "",
    `**Threshold ${model.threshold}.** A fixed default, not tuned on these frames; choose a site's with \`linli models eval\`.`,
    "",
    "**Held-back frames.**",
    ...(model.heldBack ? heldBackTable(model.heldBack) : ["No frames were held back (--test-share 0): this model has no figures on frames it did not see."]),
    "",
    `Reproduce: \`${evalCmd}\``,
    "",
    "**Limits.** One camera's frames: figures on other lifts and compounds will be lower until their frames are labelled and added. Look-alikes (pedal bicycles, strollers, wheelchairs, trolleys) are told apart only as well as the labelled frames show them.",
    "",
  ].join("\n");
}

export async function writeModel(model: TrainedModel, modelsDir: string): Promise<{ manifest: string; card: string }> {
  const manifest = await manifestOf(model);
  const manifestPath = path.join(modelsDir, `${model.id}.yaml`);
  const cardPath = path.join(modelsDir, `${model.id}.md`);
  await writeFile(cardPath, cardOf(model, manifest, modelsDir));
  await writeFile(manifestPath, `# written by linli models train; the weights are ${manifest.file} beside it\n${stringify(manifest)}`);
  return { manifest: manifestPath, card: cardPath };
}
