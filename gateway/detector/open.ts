import path from "node:path";
import type { DetectorConfig } from "./config.ts";
import { Detector } from "./detector.ts";
import { findManifest } from "./manifest.ts";
import { ensureModel, verifierWeights } from "./store.ts";

/**
 * From a config to a ready detector, the same way for the gateway, the CLI and the bench: find the
 * manifest (site's models dir first), verify the weights or fetch them on first use, load and test-run.
 */
export async function openDetector(config: DetectorConfig, options: { progress?: boolean } = {}): Promise<Detector> {
  const modelsDir = path.resolve(config.modelsDir);
  const mirror = config.mirror === undefined ? undefined : path.resolve(config.mirror);
  const manifest = await findManifest(config.model, [modelsDir]);
  const fetching = { modelsDir, mirror, autoFetch: config.autoFetch, progress: options.progress ?? false };
  const file = await ensureModel(manifest, fetching);
  const verifier = verifierWeights(manifest);
  return Detector.load(manifest, file, {
    verifierFile: verifier && (await ensureModel(verifier, fetching)),
    threads: config.threads,
    sessions: config.concurrency,
    maxInputPixels: config.maxInputPixels,
    ebikeClasses: config.ebikeClasses,
    scoreThreshold: config.scoreThreshold,
    iouThreshold: config.iouThreshold,
  });
}
