import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { ensureModel, type Artifact } from "../detector/store.ts";

/** The demo's sample photos: a manifest in the project, the files fetched and verified like models. */
export const SAMPLES_MANIFEST = fileURLToPath(new URL("../../demo/samples.yaml", import.meta.url));

const manifestSchema = z.strictObject({
  samples: z
    .array(
      z.strictObject({
        file: z.string().regex(/^[^/\\]+\.(jpe?g|png)$/i, "a bare image file name"),
        url: z.string().url(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        bytes: z.number().int().positive(),
        source: z.string(),
        licence: z.string(),
      }),
    )
    .min(1),
});

export type Sample = z.infer<typeof manifestSchema>["samples"][number];

export async function readSamples(file = SAMPLES_MANIFEST): Promise<Sample[]> {
  const parsed = manifestSchema.safeParse(parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data.samples;
}

/**
 * The sample photos in `dir`: verified where present, else downloaded (or copied from `mirror`) and
 * verified, each kept only if its SHA-256 is the manifest's. Returns the folder, or why it could not
 * be filled (offline and no mirror): the demo then runs without lift frames and says so.
 */
export async function ensureSamples(dir: string, mirror?: string): Promise<{ ok: true; dir: string } | { ok: false; error: string }> {
  try {
    for (const s of await readSamples()) {
      const artifact: Artifact = { id: `sample ${s.file}`, file: s.file, sha256: s.sha256, bytes: s.bytes, url: s.url };
      await ensureModel(artifact, { modelsDir: dir, mirror: mirror && existsSync(path.join(mirror, s.file)) ? mirror : undefined, autoFetch: true });
    }
    return { ok: true, dir };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
