import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { SingleBar } from "cli-progress";
import type { ModelManifest } from "./manifest.ts";

/** Why a model could not be made ready; each is a reason of the detector's fault event. */
export type ModelProblem = "model_missing" | "model_corrupt" | "model_fetch_failed";

export class ModelUnavailable extends Error {
  constructor(
    readonly problem: ModelProblem,
    message: string,
  ) {
    super(message);
    this.name = "ModelUnavailable";
  }
}

export interface FetchOptions {
  modelsDir: string;
  /** a directory holding `<manifest.file>`: used instead of the URL (offline sites, CI) */
  mirror?: string | undefined;
  /** draw a progress bar on stderr */
  progress?: boolean;
}

/** Something fetched and verified by SHA-256: a model's ONNX, or its trainable weights. */
export type Artifact = Pick<ModelManifest, "id" | "file" | "sha256" | "bytes" | "url">;

export const modelFile = (manifest: Artifact, modelsDir: string) => path.join(modelsDir, manifest.file);

/** A model's trainable weights as an artifact, or an error saying the model cannot be fine-tuned. */
export function trainWeights(manifest: ModelManifest): Artifact {
  if (!manifest.train) throw new Error(`model ${manifest.id} has no trainable weights in its manifest (train.file, train.sha256): it cannot be fine-tuned`);
  const { file, sha256, bytes, url } = manifest.train;
  return { id: `${manifest.id} (trainable weights)`, file, sha256, bytes, url };
}

/** A model's crop verifier as an artifact, or undefined for a model without one. */
export function verifierWeights(manifest: ModelManifest): Artifact | undefined {
  if (!manifest.verifier) return undefined;
  const { file, sha256, bytes } = manifest.verifier;
  return { id: `${manifest.id} (verifier)`, file, sha256, bytes };
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Whether the weights in the models directory are there and are the ones the manifest names. */
export async function checkModel(manifest: Artifact, modelsDir: string): Promise<"ok" | "missing" | "corrupt"> {
  const file = modelFile(manifest, modelsDir);
  if (!existsSync(file)) return "missing";
  return (await sha256File(file)) === manifest.sha256 ? "ok" : "corrupt";
}

/** Opens the source of a fetch: the mirror's copy, else the manifest's URL. */
async function openSource(manifest: Artifact, mirror: string | undefined): Promise<{ stream: Readable; total: number; from: string }> {
  if (mirror) {
    const from = path.join(mirror, manifest.file);
    if (!existsSync(from)) throw new ModelUnavailable("model_missing", `mirror ${mirror} has no ${manifest.file}`);
    return { stream: createReadStream(from), total: manifest.bytes ?? 0, from };
  }
  if (!manifest.url) throw new ModelUnavailable("model_missing", `model ${manifest.id} has no download URL: put ${manifest.file} in the models directory or give a mirror`);
  let res: Response;
  try {
    res = await fetch(manifest.url, { redirect: "follow" });
  } catch (err) {
    throw new ModelUnavailable("model_fetch_failed", `download of ${manifest.url} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!res.ok || !res.body) throw new ModelUnavailable("model_fetch_failed", `download of ${manifest.url} failed: HTTP ${res.status}`);
  const total = Number(res.headers.get("content-length")) || manifest.bytes || 0;
  return { stream: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), total, from: manifest.url };
}

/**
 * Downloads (or copies from a mirror) a model's weights, hashing them on the way, into a temporary
 * file beside the destination; only a file whose SHA-256 matches the manifest is renamed into place,
 * so a half-written or tampered file is never loaded. Returns the path of the weights.
 */
export async function fetchModel(manifest: Artifact, options: FetchOptions): Promise<string> {
  const dest = modelFile(manifest, options.modelsDir);
  await mkdir(path.dirname(dest), { recursive: true });
  const part = `${dest}.${randomBytes(4).toString("hex")}.part`;
  const { stream, total, from } = await openSource(manifest, options.mirror);
  const hash = createHash("sha256");
  const bar = options.progress ? new SingleBar({ format: `${manifest.id} [{bar}] {percentage}% {value}/{total} B`, stream: process.stderr }) : undefined;
  bar?.start(total, 0);
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      bar?.update(Math.min(bytes, total || bytes));
      done(null, chunk);
    },
  });
  try {
    await pipeline(stream, tap, createWriteStream(part));
    bar?.stop();
    const digest = hash.digest("hex");
    if (digest !== manifest.sha256) {
      throw new ModelUnavailable("model_corrupt", `${from}: SHA-256 ${digest} does not match the manifest's ${manifest.sha256} (${bytes} bytes)`);
    }
    await rename(part, dest);
    return dest;
  } catch (err) {
    bar?.stop();
    await rm(part, { force: true });
    if (err instanceof ModelUnavailable) throw err;
    throw new ModelUnavailable("model_fetch_failed", `fetching ${manifest.id} from ${from} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The weights, ready to load: verified in place, or fetched on first use when `autoFetch` is on.
 * A file that is present but does not match is not replaced silently: someone should look at it.
 */
export async function ensureModel(manifest: Artifact, options: FetchOptions & { autoFetch: boolean }): Promise<string> {
  const state = await checkModel(manifest, options.modelsDir);
  const file = modelFile(manifest, options.modelsDir);
  if (state === "ok") return file;
  if (state === "corrupt") {
    throw new ModelUnavailable("model_corrupt", `${file} does not match the SHA-256 in the manifest of ${manifest.id}: run \`linli models fetch ${manifest.id}\` to replace it`);
  }
  if (!options.autoFetch) {
    throw new ModelUnavailable("model_missing", `${file} is missing: run \`linli models fetch ${manifest.id}\``);
  }
  return fetchModel(manifest, options);
}
