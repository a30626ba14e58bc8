import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { activeModelFile, modelsOf, readActiveModel } from "./active-model.ts";
import type { CliIo } from "./cli.ts";
import type { DetectorConfig } from "./config.ts";
import { printPromotion } from "./eval-print.ts";
import { promoteModel, rollbackModel, setShadowModel } from "./promotion.ts";

interface LiveFlags {
  config?: string;
  modelsDir?: string;
  mirror?: string;
  by: string;
}

/**
 * The detector section the running gateway uses (--config, else ./linli.yaml when present, else the
 * defaults), so these commands change the models dir and the models that gateway watches.
 */
export async function gatewayDetectorConfig(flags: Omit<LiveFlags, "by">): Promise<DetectorConfig> {
  // loaded here rather than imported above: gateway/config.ts lists the features, this one included
  const { loadConfig } = await import("../config.ts");
  const detector = loadConfig(flags.config ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined)).detector;
  return { ...detector, ...(flags.modelsDir ? { modelsDir: flags.modelsDir } : {}), ...(flags.mirror ? { mirror: flags.mirror } : {}) };
}

function liveOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "the gateway's YAML config, for its detector section (default: ./linli.yaml when present)")
    .option("--models-dir <dir>", "the models dir the gateway watches (default: the config's detector.modelsDir)")
    .option("--by <name>", "who makes the change, kept in active.json and promotions.jsonl", process.env.USER || "cli");
}

/**
 * Runs a command's work; a problem with its input (an unknown model, an unusable folder) is one line
 * on stderr and exit code 2, apart from a refused promotion's 1.
 */
async function reported(io: CliIo, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    io.err(err instanceof Error ? err.message : String(err));
    process.exitCode = 2;
  }
}

/** Adds `models promote|rollback|shadow|active`: which model the gateway runs, changed without a restart. */
export function registerPromotionCommands(models: Command, io: CliIo): void {
  liveOptions(models.command("promote"))
    .description("compare a model with the active one on held-back labelled frames, and make it active only if it finds as many e-bike frames and flags no more frames without one (exit 1 when refused)")
    .argument("<id>", "the candidate model id")
    .requiredOption("--heldout <dir>", "held-back frames: images/, labels/ and classes.txt (as `linli dataset export` writes <out>/heldout)")
    .option("--mirror <dir>", "copy missing weights from this directory instead of downloading")
    .action((id: string, flags: LiveFlags & { heldout: string }) =>
      reported(io, async () => {
        const config = await gatewayDetectorConfig(flags);
        const result = await promoteModel({ candidate: id, heldoutImages: path.join(flags.heldout, "images"), heldoutLabels: path.join(flags.heldout, "labels"), config, by: flags.by });
        printPromotion(result, io);
        if (!result.accepted) process.exitCode = 1;
      }),
    );

  liveOptions(models.command("rollback"))
    .description("make the model before the active one active again")
    .action((flags: LiveFlags) =>
      reported(io, async () => {
        const { from, to } = await rollbackModel({ config: await gatewayDetectorConfig(flags), by: flags.by });
        io.out(`rolled back: ${to} is the active model again (was ${from}); a running gateway switches to it by itself`);
      }),
    );

  liveOptions(models.command("shadow"))
    .description("run a candidate model beside the active one on live frames, holding nothing, so the two can be compared")
    .argument("[id]", "the shadow model id")
    .option("--off", "stop the shadow model")
    .action((id: string | undefined, flags: LiveFlags & { off?: boolean }) =>
      reported(io, async () => {
        if ((id === undefined) === !flags.off) throw new Error("name a shadow model, or give --off (not both)");
        const { from, to } = await setShadowModel({ config: await gatewayDetectorConfig(flags), model: id ?? null, by: flags.by });
        io.out(from === to ? `shadow unchanged: ${to ?? "none"}` : to === null ? `shadow ${from} stopped` : `shadow: ${to} judges live frames beside the active model${from ? ` (instead of ${from})` : ""}`);
      }),
    );

  liveOptions(models.command("active"))
    .description("which model the gateway runs, its shadow, and the models a rollback goes back to")
    .action((flags: LiveFlags) =>
      reported(io, async () => {
        const config = await gatewayDetectorConfig(flags);
        const record = await readActiveModel(config.modelsDir);
        const { model, shadow } = modelsOf(record, config);
        if (!record) io.out(`no ${activeModelFile(config.modelsDir)}: the gateway runs detector.model from its config`);
        io.out(`active: ${model}`);
        io.out(`shadow: ${shadow ?? "none"}`);
        if (!record) return;
        io.out(`previous: ${record.previous.length > 0 ? record.previous.join(", ") : "none"}`);
        io.out(`changed: ${new Date(record.changedAt).toISOString()} by ${record.by}: ${record.reason}`);
      }),
    );
}
