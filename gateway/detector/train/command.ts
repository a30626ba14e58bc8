import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SingleBar } from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { stringify } from "yaml";
import { detectorConfigSchema, type DetectorConfig } from "../config.ts";
import { evalFrames, type FolderEval } from "../eval-folder.ts";
import { splitByTime } from "../labels/capture-time.ts";
import { readLabelledFolder, type LabelledImage } from "../labels/folder.ts";
import { findManifest } from "../manifest.ts";
import { openDetector } from "../open.ts";
import { ensureModel, trainWeights } from "../store.ts";
import { checkTrainingPython } from "./python.ts";
import { manifestOf, writeModel, type TrainedModel } from "./publish.ts";
import { runTrainer, type TrainSettings } from "./trainer.ts";

interface TrainFlags {
  images: string;
  labels: string;
  id: string;
  base: string;
  modelsDir: string;
  mirror?: string;
  seed: number;
  epochs: number;
  maxMinutes: number;
  patience: number;
  threads: number;
  batch: number;
  lr: number;
  valShare: number;
  testShare: number;
  threshold: number;
  /** commander's --no-verifier */
  verifier: boolean;
}

export interface TrainIo {
  out(line: string): void;
  err(line: string): void;
}

const int = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number >= ${min}`);
  return n;
};
const share = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError("a share from 0 to below 1");
  return n;
};
const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("a positive number");
  return n;
};

/** The threshold the trained model ships with: the base family's default, never fitted to the frames. */
const DEFAULT_THRESHOLD = 0.5;

/** Shows the trainer's epochs as a bar with the trainer's own ETA (it knows its time limit). */
function progress(enabled: boolean, io: TrainIo) {
  const bar = enabled ? new SingleBar({ format: "training [{bar}] epoch {value}/{total} loss {loss} val AP50 {val} ETA {eta_s}s", stream: process.stderr }) : undefined;
  return {
    onEvent(e: Parameters<Parameters<typeof runTrainer>[1]>[0]): void {
      if (e.event === "loaded") {
        io.err(`training on ${e.train} frames, validating on ${e.val} (decoded in ${e.seconds} s)`);
        return;
      }
      if (e.event === "verifier_mined") {
        bar?.stop();
        io.err(`verifier: ${e.positives} e-bike crops and ${e.negatives} others from the detector's calls (${e.seconds} s); training it`);
        return;
      }
      if (e.event !== "epoch") return;
      const fields = { loss: e.loss.toFixed(3), val: e.valAp50 === null ? "-" : e.valAp50.toFixed(3), eta_s: Math.round(e.etaSeconds) };
      if (bar) {
        if (e.epoch === 1) bar.start(e.epochs, 0, fields);
        bar.update(e.epoch, fields);
      } else {
        io.err(`epoch ${e.epoch}/${e.epochs} loss ${fields.loss} val AP50 ${fields.val} best epoch ${e.best} elapsed ${Math.round(e.elapsedSeconds)} s ETA ${fields.eta_s} s`);
      }
    },
    stop: () => bar?.stop(),
  };
}

async function heldBack(config: DetectorConfig, ids: readonly string[], frames: readonly LabelledImage[]): Promise<FolderEval[]> {
  const reports: FolderEval[] = [];
  for (const model of ids) {
    const detector = await openDetector({ ...config, model });
    try {
      const thresholds = [...new Set([...Array.from({ length: 19 }, (_, i) => (i + 1) / 20), detector.threshold])].sort((a, b) => a - b);
      reports.push(await evalFrames(detector, frames, { thresholds }));
    } finally {
      await detector.close();
    }
  }
  return reports;
}

/** `linli models train`: fine-tune the base model on a labelled folder and publish it to the models dir. */
export async function trainModel(flags: TrainFlags, io: TrainIo, showProgress: boolean): Promise<TrainedModel> {
  const config = detectorConfigSchema.parse({ modelsDir: flags.modelsDir, ...(flags.mirror ? { mirror: flags.mirror } : {}) });
  const modelsDir = path.resolve(config.modelsDir);
  const mirror = config.mirror === undefined ? undefined : path.resolve(config.mirror);
  const { images } = await readLabelledFolder(flags.images, flags.labels);
  const split = splitByTime(images, { val: flags.valShare, test: flags.testShare });
  const base = await findManifest(flags.base, [modelsDir]);
  if (base.family !== "fastestdet") throw new Error(`linli trains FastestDet models; ${base.id} is ${base.family}`);
  const baseWeights = await ensureModel(trainWeights(base), { modelsDir, mirror, autoFetch: true, progress: showProgress });
  await checkTrainingPython();
  await mkdir(modelsDir, { recursive: true });
  const workDir = await mkdtemp(path.join(os.tmpdir(), "linli-train-"));
  const settings: TrainSettings = { seed: flags.seed, maxEpochs: flags.epochs, maxSeconds: flags.maxMinutes * 60, patience: flags.patience, threads: flags.threads, batchSize: flags.batch, learningRate: flags.lr };
  const onnx = path.join(modelsDir, `${flags.id}.onnx`);
  const verifier = path.join(modelsDir, `${flags.id}.verifier.onnx`);
  // a verifier left by an earlier model of this id would be named by nothing, or by the wrong manifest
  await rm(verifier, { force: true });
  const bar = progress(showProgress, io);
  try {
    const job = { base, baseWeights, train: split.train, val: split.val, settings, onnx, weights: path.join(workDir, "best.pth"), verifier: flags.verifier ? verifier : undefined, threshold: flags.threshold, workDir };
    const result = await runTrainer(job, (e) => bar.onEvent(e));
    bar.stop();
    if (result.verifier) io.out(`verifier: ${result.verifier.kept ? `kept, ${verifier}` : "not kept"} (${result.verifier.why})`);
    const dataset = { images: path.resolve(flags.images), labels: path.resolve(flags.labels), train: split.train.length, val: split.val.length, test: split.test.length, testSince: split.testSince };
    const model: TrainedModel = { id: flags.id, base, onnx, verifier: result.verifier?.kept ? verifier : undefined, threshold: flags.threshold, dataset, settings, result };
    // the detector loads the model by its manifest, so it is written before the held-back evaluation
    await writeFile(path.join(modelsDir, `${flags.id}.yaml`), stringify(await manifestOf(model)));
    if (split.test.length > 0) {
      const [baseEval, trainedEval] = await heldBack(config, [base.id, flags.id], split.test);
      model.heldBack = { base: baseEval!, trained: trainedEval! };
    }
    const written = await writeModel(model, modelsDir);
    io.out(`${flags.id}: ${result.epochs} epochs in ${result.seconds} s (${result.stopped}), kept epoch ${result.bestEpoch} -> ${onnx}`);
    io.out(`manifest ${written.manifest}, card ${written.card}; use it with detector.model: ${flags.id} and detector.modelsDir: ${config.modelsDir}`);
    if (model.heldBack) {
      for (const r of [model.heldBack.base, model.heldBack.trained]) {
        const f = r.frames.find((x) => Math.abs(x.threshold - r.threshold) < 1e-9)!;
        io.out(`held back (${split.test.length} frames): ${r.model.padEnd(28)} AP50 ${r.ap50.toFixed(3)}  e-bike frames found ${f.ebikeFramesFound}/${f.ebikeFrames}  frames without e-bike flagged ${f.cleanFramesFlagged}/${f.cleanFrames} at ${r.threshold}`);
      }
    }
    return model;
  } finally {
    bar.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

export function registerTrainCommand(models: Command, io: TrainIo): void {
  const defaults = detectorConfigSchema.parse({});
  models
    .command("train")
    .description("fine-tune FastestDet on a labelled folder (CPU), and write an ONNX, a manifest and a model card to the models dir")
    .requiredOption("--images <dir>", "folder of JPEG/PNG frames named by capture time (epoch seconds)")
    .requiredOption("--labels <dir>", "YOLO txt labels with a classes.txt (linli class names), or VOC xml")
    .requiredOption("--id <id>", "the new model's id, e.g. site-ebike-fastestdet-352")
    .option("--base <id>", "the model to start from (its manifest names its trainable weights)", "fastestdet-coco-352")
    .option("--models-dir <dir>", "where the base weights are fetched to and the new model is written", defaults.modelsDir)
    .option("--mirror <dir>", "copy the base weights from this directory instead of downloading")
    .option("--seed <n>", "random seed: the same seed, data and threads give the same model", int(0), 1)
    .option("--epochs <n>", "at most this many epochs", int(1), 300)
    // 17: the verifier after it takes up to about 2.5 minutes more, and the whole run stays within 20
    .option("--max-minutes <n>", "stop training the detector after this long, keeping the best epoch so far", positive, 17)
    .option("--patience <n>", "stop when validation AP50 has not improved for this many epochs", int(1), 80)
    .option("--threads <n>", "CPU threads for PyTorch", int(1), Math.max(1, Math.min(2, os.availableParallelism())))
    .option("--batch <n>", "frames per step", int(2), 8)
    .option("--lr <rate>", "peak learning rate (SGD; batch norm stays frozen, so higher rates diverge)", positive, 0.002)
    .option("--val-share <share>", "share of frames, after the training ones in time, for early stopping", share, 0.15)
    .option("--test-share <share>", "share of the latest frames held back for the model card's figures", share, 0.25)
    .option("--threshold <score>", "the trained model's default score threshold", positive, DEFAULT_THRESHOLD)
    .option("--no-verifier", "train the detector alone, without trying the crop verifier behind it")
    .action(async (flags: TrainFlags) => {
      await trainModel(flags, io, process.stderr.isTTY);
    });
}
