import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { modelsOf, readActiveModel } from "./active-model.ts";
import { annotate } from "./annotate.ts";
import { detectorConfigSchema, type DetectorConfig } from "./config.ts";
import { evalModel, selectFrames, type FolderEval } from "./eval-folder.ts";
import { printComparison, printReport, toJson } from "./eval-print.ts";
import { findManifest, listModelIds } from "./manifest.ts";
import { openDetector } from "./open.ts";
import { gatewayDetectorConfig, registerPromotionCommands } from "./promotion-commands.ts";
import { checkModel, fetchModel } from "./store.ts";
import { registerTrainCommand } from "./train/command.ts";

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
  ebikeClasses?: string[];
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
    ...(flags.ebikeClasses ? { ebikeClasses: flags.ebikeClasses } : {}),
  });
}

function modelOptions(cmd: Command): Command {
  const defaults = detectorConfigSchema.parse({});
  return cmd
    .option("--model <id>", "model id (a manifest in models/ or the models dir)", defaults.model)
    .option("--models-dir <dir>", "where the weights are kept and fetched to", defaults.modelsDir)
    .option("--mirror <dir>", "copy missing weights from this directory instead of downloading")
    .option("--ebike-classes <names>", "the model's class names that count as an e-bike, comma-separated (default: the manifest's)", (v: string) => v.split(",").map((c) => c.trim()).filter((c) => c));
}

const epochSeconds = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("epoch seconds, e.g. 1607035104");
  return n;
};

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

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

/** Adds `detect` and `models fetch|list|eval|train|promote|rollback|shadow|active` to the linli CLI. */
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

  const models = program.command("models").description("detector models: fetch, list, evaluate, train");
  registerTrainCommand(models, io);

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
    .description("the models linli has manifests for, whether their weights are here, and which the gateway runs (active) or compares (shadow)")
    .option("-c, --config <file>", "the gateway's YAML config, for its detector section (default: ./linli.yaml when present)")
    .option("--models-dir <dir>", "where the weights are kept (default: the config's detector.modelsDir)")
    .action(async (flags: { config?: string; modelsDir?: string }) => {
      const config = await gatewayDetectorConfig(flags);
      const modelsDir = path.resolve(config.modelsDir);
      const live = modelsOf(await readActiveModel(modelsDir), config);
      for (const id of await listModelIds([modelsDir])) {
        const manifest = await findManifest(id, [modelsDir]);
        const role = id === live.model ? "active" : id === live.shadow ? "shadow" : "";
        io.out(`${id.padEnd(28)} ${manifest.family.padEnd(10)} ${(await checkModel(manifest, modelsDir)).padEnd(8)} ${role.padEnd(7)} ${manifest.licence}`);
      }
    });

  registerPromotionCommands(models, io);

  modelOptions(models.command("eval"))
    .description("how well a model finds e-bikes on a labelled folder: AP50, precision and recall per threshold, frames held and missed")
    .requiredOption("--images <dir>", "folder of JPEG/PNG images")
    .requiredOption("--labels <dir>", "YOLO txt labels with a classes.txt (linli class names), or VOC xml")
    .option("--compare <id>", "a second model, run on the same frames and shown beside the first")
    .option("--since <epoch>", "only frames whose file name is a capture time at or after this epoch second", epochSeconds)
    .option("--threshold <score>", "the score threshold the per-frame results use (default: the model's)", probability)
    .option("--wrong <dir>", "write the frames each model got wrong here, annotated, one folder per model")
    .option("--json", "the full reports as one JSON object")
    .action(async (flags: ModelFlags & { images: string; labels: string; compare?: string; since?: number; wrong?: string; json?: boolean }) => {
      const frames = await selectFrames(flags.images, flags.labels, flags.since);
      const reports: FolderEval[] = [];
      const config = configFrom(flags);
      for (const model of [config.model, ...(flags.compare ? [flags.compare] : [])]) {
        reports.push(await evalModel(config, model, frames, { wrongDir: flags.wrong && path.join(flags.wrong, model), progress: process.stderr.isTTY }));
      }
      if (flags.json) {
        io.out(toJson({ images: flags.images, labels: flags.labels, since: flags.since ?? null, models: reports }));
        return;
      }
      for (const report of reports) printReport(report, io);
      if (reports.length > 1) printComparison(reports, io);
    });
}
