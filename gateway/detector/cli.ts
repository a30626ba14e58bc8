import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { annotate } from "./annotate.ts";
import { detectorConfigSchema, type DetectorConfig } from "./config.ts";
import type { Detector } from "./detector.ts";
import { evaluate, parseYoloLabels, type EvalReport, type ImageEval } from "./evaluate.ts";
import { findManifest, listModelIds } from "./manifest.ts";
import { nms } from "./nms.ts";
import { openDetector } from "./open.ts";
import { checkModel, fetchModel } from "./store.ts";

/** Where the commands write: the process's streams, or a test's buffers. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const processIo: CliIo = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
};

interface ModelFlags {
  model?: string;
  modelsDir?: string;
  mirror?: string;
  threshold?: number;
}

const probability = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("a number from 0 to 1");
  return n;
};

/** The detector config the commands run with: the gateway's defaults, overridden by flags. */
function configFrom(flags: ModelFlags): DetectorConfig {
  return detectorConfigSchema.parse({
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.modelsDir ? { modelsDir: flags.modelsDir } : {}),
    ...(flags.mirror ? { mirror: flags.mirror } : {}),
    ...(flags.threshold === undefined ? {} : { scoreThreshold: flags.threshold }),
  });
}

function modelOptions(cmd: Command): Command {
  const defaults = detectorConfigSchema.parse({});
  return cmd
    .option("--model <id>", "model id (a manifest in models/ or the models dir)", defaults.model)
    .option("--models-dir <dir>", "where the weights are kept and fetched to", defaults.modelsDir)
    .option("--mirror <dir>", "copy missing weights from this directory instead of downloading");
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const IMAGE_EXT = /\.(jpe?g|png)$/i;

async function detectFiles(files: string[], flags: ModelFlags & { json?: boolean; out: string }, io: CliIo): Promise<number> {
  const detector = await openDetector(configFrom(flags), { progress: process.stderr.isTTY });
  let failures = 0;
  try {
    await mkdir(flags.out, { recursive: true });
    for (const file of files) {
      try {
        const image = await readFile(file);
        const result = await detector.detect(image);
        const annotated = path.join(flags.out, path.basename(file).replace(/\.[^.]*$/, "") + ".jpg");
        await writeFile(annotated, await annotate(image, result.frameWidth, result.frameHeight, result.detections));
        const detections = result.detections.map((d) => ({
          class: d.label,
          score: round(d.score, 3),
          box: { x: round(d.box.x), y: round(d.box.y), w: round(d.box.w), h: round(d.box.h) },
          ebike: d.ebike,
        }));
        if (flags.json) {
          io.out(JSON.stringify({ file, detections, annotated }));
        } else {
          io.out(`${file}: ${detections.length} detection(s), e-bike ${result.ebike ? "YES" : "no"} (best e-bike score ${result.ebikeScore.toFixed(2)}, threshold ${result.threshold}) -> ${annotated}`);
          for (const d of detections) io.out(`  ${d.ebike ? "EBIKE " : ""}${d.class} ${d.score.toFixed(2)} x=${d.box.x} y=${d.box.y} w=${d.box.w} h=${d.box.h}`);
        }
      } catch (err) {
        failures++;
        const error = err instanceof Error ? err.message : String(err);
        if (flags.json) io.out(JSON.stringify({ file, error }));
        else io.err(`${file}: ${error}`);
      }
    }
  } finally {
    await detector.close();
  }
  return failures;
}

/** Runs the model over a labelled folder and scores its e-bike calls. */
export async function evalFolder(detector: Detector, imagesDir: string, labelsDir: string, thresholds: readonly number[]): Promise<EvalReport & { unlabelled: number }> {
  const files = (await readdir(imagesDir)).filter((f) => IMAGE_EXT.test(f)).sort();
  if (files.length === 0) throw new Error(`no JPEG or PNG images in ${imagesDir}`);
  const floor = Math.min(...thresholds);
  const images: ImageEval[] = [];
  let unlabelled = 0;
  for (const name of files) {
    const result = await detector.detect(await readFile(path.join(imagesDir, name)), floor);
    const labelFile = path.join(labelsDir, name.replace(/\.[^.]*$/, ".txt"));
    // YOLO convention: an image without a label file is a background image
    if (!existsSync(labelFile)) unlabelled++;
    const text = existsSync(labelFile) ? await readFile(labelFile, "utf8") : "";
    const truths = parseYoloLabels(text, result.frameWidth, result.frameHeight, detector.ebikeClasses, labelFile);
    // one e-bike is often called both bicycle and motorbike: merge across e-bike classes before matching
    const ebikes = nms(result.detections.filter((d) => d.ebike).map((d) => ({ ...d, cls: 0 })), 0.5);
    images.push({ truths, predictions: ebikes.map((d) => ({ score: d.score, box: d.box })) });
  }
  return { ...evaluate(images, thresholds), unlabelled };
}

const pct = (n: number) => (Number.isNaN(n) ? "   -" : `${(n * 100).toFixed(1).padStart(5)}%`);

function printReport(report: EvalReport & { unlabelled: number }, model: string, io: CliIo): void {
  io.out(`model ${model}: ${report.images} images (${report.unlabelled} without a label file, taken as background), ${report.truths} labelled e-bikes`);
  io.out(`AP50 (e-bike): ${Number.isNaN(report.ap50) ? "n/a (no labelled e-bikes)" : report.ap50.toFixed(3)}`);
  io.out("threshold  precision  recall     F1   TP   FP   FN");
  for (const r of report.rows) {
    io.out(`${r.threshold.toFixed(2).padStart(9)}  ${pct(r.precision).padStart(9)}  ${pct(r.recall).padStart(6)}  ${r.f1.toFixed(2).padStart(5)} ${String(r.tp).padStart(4)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)}`);
  }
  const r = report.recommended;
  io.out(`recommended threshold: ${r.threshold.toFixed(2)} (F1 ${r.f1.toFixed(2)}, ${r.fp} false positive(s), ${r.fn} missed): set detector.scoreThreshold`);
}

/** Adds `detect` and `models fetch|list|eval` to the linli CLI. */
export function registerDetectorCommands(program: Command, io: CliIo = processIo): void {
  modelOptions(program.command("detect"))
    .description("run the e-bike detector on image files; writes annotated copies")
    .argument("<image...>", "JPEG or PNG files")
    .option("--json", "one JSON object per image on stdout")
    .option("--out <dir>", "where annotated copies go", "detections")
    .option("--threshold <score>", "score threshold (default: the model's)", probability)
    .action(async (files: string[], flags: ModelFlags & { json?: boolean; out: string }) => {
      if ((await detectFiles(files, flags, io)) > 0) process.exitCode = 1;
    });

  const models = program.command("models").description("detector models: fetch, list, evaluate");

  models
    .command("fetch")
    .description("download a model's weights (or copy them from a mirror) and verify their SHA-256")
    .argument("[id]", "model id", detectorConfigSchema.parse({}).model)
    .option("--models-dir <dir>", "where the weights are kept", detectorConfigSchema.parse({}).modelsDir)
    .option("--mirror <dir>", "copy from this directory instead of downloading")
    .action(async (id: string, flags: ModelFlags) => {
      const config = configFrom(flags);
      const modelsDir = path.resolve(config.modelsDir);
      const manifest = await findManifest(id, [modelsDir]);
      if ((await checkModel(manifest, modelsDir)) === "ok") {
        io.out(`${manifest.id}: already present and verified in ${modelsDir}`);
        return;
      }
      const file = await fetchModel(manifest, { modelsDir, mirror: config.mirror && path.resolve(config.mirror), progress: process.stderr.isTTY });
      io.out(`${manifest.id}: fetched and verified (sha256 ${manifest.sha256}) -> ${file}`);
    });

  models
    .command("list")
    .description("the models linli has manifests for, and whether their weights are here")
    .option("--models-dir <dir>", "where the weights are kept", detectorConfigSchema.parse({}).modelsDir)
    .action(async (flags: ModelFlags) => {
      const modelsDir = path.resolve(configFrom(flags).modelsDir);
      for (const id of await listModelIds([modelsDir])) {
        const manifest = await findManifest(id, [modelsDir]);
        io.out(`${id.padEnd(28)} ${manifest.family.padEnd(10)} ${(await checkModel(manifest, modelsDir)).padEnd(8)} ${manifest.licence}`);
      }
    });

  modelOptions(models.command("eval"))
    .description("precision, recall and AP50 of the e-bike class on a labelled folder (YOLO txt labels)")
    .requiredOption("--images <dir>", "folder of JPEG/PNG images")
    .requiredOption("--labels <dir>", "folder of YOLO labels: <image name>.txt with `class cx cy w h` lines, normalised")
    .action(async (flags: ModelFlags & { images: string; labels: string }) => {
      const detector = await openDetector(configFrom(flags), { progress: process.stderr.isTTY });
      try {
        const thresholds = Array.from({ length: 19 }, (_, i) => round(0.05 * (i + 1), 2));
        printReport(await evalFolder(detector, flags.images, flags.labels, thresholds), detector.manifest.id, io);
      } finally {
        await detector.close();
      }
    });
}
