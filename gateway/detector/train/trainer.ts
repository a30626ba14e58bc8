import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LINLI_CLASSES } from "../labels/classes.ts";
import type { LabelledImage } from "../labels/folder.ts";
import type { ModelManifest } from "../manifest.ts";
import { pythonPath } from "./python.ts";

/** The Python package that trains (training/linli_train), run as `python3 -m linli_train`. */
const TRAINING_DIR = fileURLToPath(new URL("../../../training/", import.meta.url));

export interface TrainSettings {
  seed: number;
  maxEpochs: number;
  maxSeconds: number;
  patience: number;
  threads: number;
  batchSize: number;
  learningRate: number;
}

/** The guard's view of the validation frames at the model's threshold (training/linli_train/verifier.py judge). */
export interface Judged {
  ap50: number | null;
  found: number;
  ebikeFrames: number;
  flagged: number;
  cleanFrames: number;
}

/** What became of the crop verifier: trained on the detector's calls, kept only if it paid. */
export interface VerifierOutcome {
  kept: boolean;
  why: string;
  positives: number;
  negatives: number;
  cropSize: number;
  context: number;
  val?: { alone: Judged; verified: Judged };
  seconds?: number;
}

/** A progress line from the trainer (one JSON object per line on its stdout). */
export type TrainerEvent =
  | { event: "loaded"; train: number; val: number; seconds: number }
  | { event: "epoch"; epoch: number; epochs: number; loss: number; valAp50: number | null; best: number; elapsedSeconds: number; etaSeconds: number }
  | { event: "verifier_mined"; positives: number; negatives: number; seconds: number }
  | { event: "done"; stopped: "epochs" | "early" | "time"; epochs: number; bestEpoch: number; valAp50: number | null; seconds: number; threads: number; verifier?: VerifierOutcome };

/**
 * The head of a fine-tuned model starts each linli class from the base class that means the most
 * nearly the same thing, so few frames go further: e-bike from COCO motorbike, the rest by name.
 */
function initFrom(base: ModelManifest): Record<string, string> {
  const init: Record<string, string> = {};
  base.classMap.forEach((cls, i) => {
    if (cls !== undefined && !(cls in init)) init[cls] = base.labels[i]!;
  });
  return init;
}

const entry = (im: LabelledImage) => ({
  image: im.image,
  boxes: im.boxes.map((b) => [LINLI_CLASSES.indexOf(b.cls), b.x, b.y, b.x + b.w, b.y + b.h]),
});

export interface TrainerJob {
  base: ModelManifest;
  baseWeights: string;
  train: readonly LabelledImage[];
  val: readonly LabelledImage[];
  settings: TrainSettings;
  onnx: string;
  weights: string;
  /** where the crop verifier is written if it pays; undefined trains the detector alone */
  verifier: string | undefined;
  /** the threshold the model ships with, at which the verifier is judged */
  threshold: number;
  workDir: string;
}

/** Runs the Python trainer; resolves with its final event, rejects with its error message. */
export async function runTrainer(job: TrainerJob, onEvent: (e: TrainerEvent) => void): Promise<Extract<TrainerEvent, { event: "done" }>> {
  const spec = path.join(job.workDir, "train-spec.json");
  await writeFile(
    spec,
    JSON.stringify({
      base: { weights: job.baseWeights, labels: job.base.labels },
      classes: LINLI_CLASSES,
      initFrom: initFrom(job.base),
      input: job.base.input,
      train: job.train.map(entry),
      val: job.val.map(entry),
      ...job.settings,
      threshold: job.threshold,
      out: { onnx: job.onnx, weights: job.weights, ...(job.verifier ? { verifier: job.verifier } : {}) },
    }),
  );
  const child = spawn(pythonPath(), ["-m", "linli_train", spec], { cwd: TRAINING_DIR, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONPATH: TRAINING_DIR, PYTHONDONTWRITEBYTECODE: "1" } });
  // the trainer must not outlive linli: a Ctrl-C or a crash here ends it too
  const stop = () => child.kill();
  process.once("exit", stop);
  let stderr = "";
  let done: Extract<TrainerEvent, { event: "done" }> | undefined;
  let pending = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines.filter((l) => l.trim())) {
      let event: TrainerEvent;
      try {
        event = JSON.parse(line) as TrainerEvent;
      } catch {
        // the trainer writes only JSON lines; anything else (a library's print) is passed on as text
        stderr += line + "\n";
        continue;
      }
      if (event.event === "done") done = event;
      onEvent(event);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  }).finally(() => process.off("exit", stop));
  if (code !== 0 || done === undefined) {
    const message = stderr.trim().split("\n").filter((l) => l.trim()).at(-1) ?? `exit status ${code}`;
    throw new Error(`training failed: ${message}`);
  }
  return done;
}
