import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

const figuresSchema = z.object({
  model: z.string(),
  threshold: z.number(),
  ap50: z.number(),
  ebikeFramesFound: z.number().int(),
  ebikeFrames: z.number().int(),
  cleanFramesFlagged: z.number().int(),
  cleanFrames: z.number().int(),
});

const promotionSchema = z.object({
  kind: z.literal("promotion"),
  accepted: z.boolean(),
  at: z.number(),
  by: z.string(),
  current: figuresSchema,
  candidate: figuresSchema,
  reasons: z.array(z.string()),
  heldout: z.object({ images: z.string(), labels: z.string(), frames: z.number().int(), ebikeFrames: z.number().int(), cleanFrames: z.number().int() }),
});

const rollbackSchema = z.object({ kind: z.literal("rollback"), at: z.number(), by: z.string(), from: z.string(), to: z.string() });

const shadowSchema = z.object({ kind: z.literal("shadow"), at: z.number(), by: z.string(), from: z.string().nullable(), to: z.string().nullable() });

const entrySchema = z.discriminatedUnion("kind", [promotionSchema, rollbackSchema, shadowSchema]);

/** One of a model's figures on the held-back frames, at its own threshold. */
export type ModelFigures = z.infer<typeof figuresSchema>;

/** One line of `<modelsDir>/promotions.jsonl`: every attempt to change the live models, kept. */
export type PromotionLogEntry = z.infer<typeof entrySchema>;

export const promotionsFile = (modelsDir: string) => path.join(path.resolve(modelsDir), "promotions.jsonl");

/** One line per entry: an append of a few hundred bytes is not interleaved with another's. */
export async function appendPromotion(modelsDir: string, entry: PromotionLogEntry): Promise<void> {
  const file = promotionsFile(modelsDir);
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, JSON.stringify(entrySchema.parse(entry)) + "\n");
}

/** The newest `limit` entries, newest first; a line that is not an entry is an error naming file and line. */
export async function readPromotions(modelsDir: string, limit: number): Promise<PromotionLogEntry[]> {
  const file = promotionsFile(modelsDir);
  if (!existsSync(file)) return [];
  const lines = (await readFile(file, "utf8")).split("\n");
  const entries: PromotionLogEntry[] = [];
  for (let i = lines.length - 1; i >= 0 && entries.length < limit; i--) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}:${i + 1}: ${z.prettifyError(parsed.error)}`);
    entries.push(parsed.data);
  }
  return entries;
}
