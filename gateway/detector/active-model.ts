import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { DetectorConfig } from "./config.ts";
import { ACTIVE_RECORD, manifestSchema } from "./manifest.ts";

// a model id names a manifest file: the manifest's own rule keeps it from naming a path elsewhere
const modelId = manifestSchema.shape.id;

const recordSchema = z.strictObject({
  /** the model that judges live frames */
  model: modelId,
  /** the models that judged before it, most recent first: `linli models rollback` goes to the first */
  previous: z.array(modelId),
  /** a candidate judging the same frames beside it, holding nothing */
  shadow: modelId.optional(),
  /** epoch ms */
  changedAt: z.number().int().nonnegative(),
  by: z.string(),
  reason: z.string(),
});

/**
 * Which model the gateway runs, written by promotion, rollback and `models shadow` and watched by
 * the detector, so a site's own model goes live without a restart.
 */
export type ActiveModelRecord = z.infer<typeof recordSchema>;

export function activeModelFile(modelsDir: string): string {
  return path.join(path.resolve(modelsDir), `${ACTIVE_RECORD}.json`);
}

/** The record, or undefined when none was ever written (the gateway then runs `detector.model`). */
export async function readActiveModel(modelsDir: string): Promise<ActiveModelRecord | undefined> {
  const file = activeModelFile(modelsDir);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new Error(`active model record ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`active model record ${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Writes beside the file and renames over it, so the detector never reads half a record. */
export async function writeActiveModel(modelsDir: string, record: ActiveModelRecord): Promise<void> {
  const file = activeModelFile(modelsDir);
  const checked = recordSchema.parse(record);
  await mkdir(path.dirname(file), { recursive: true });
  const part = `${file}.${randomBytes(4).toString("hex")}.part`;
  try {
    await writeFile(part, JSON.stringify(checked, null, 2) + "\n");
    await rename(part, file);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

/**
 * The models a record asks for. Once a record exists it decides the shadow too (so `models shadow
 * --off` can stop one that `detector.shadow` started); the config's keys apply only without one.
 */
export function modelsOf(record: ActiveModelRecord | undefined, config: DetectorConfig): { model: string; shadow: string | undefined } {
  if (!record) return { model: config.model, shadow: config.shadow };
  return { model: record.model, shadow: record.shadow };
}

export async function currentModel(config: DetectorConfig): Promise<string> {
  return modelsOf(await readActiveModel(config.modelsDir), config).model;
}
