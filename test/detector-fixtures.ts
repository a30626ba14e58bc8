import { readFile } from "node:fs/promises";
import path from "node:path";
import { detectorConfigSchema, type DetectorConfig } from "../gateway/detector/config.ts";
import { tempDir } from "./services/process.ts";

/** The repository root, and the shared weights and images beside it (never copied into the repo). */
export const repoRoot = path.resolve(import.meta.dirname, "..");
export const sharedModels = path.resolve(repoRoot, "../shared/models");
export const sharedImages = path.resolve(repoRoot, "../shared/images");

export const NEGATIVES = [0, 1, 2, 3, 4].map((i) => `coco-negative-${i}.jpg`);
export const BICYCLE = "bicycle-dog-porch.jpg";

/**
 * The bicycle in bicycle-dog-porch.jpg (768x576), measured by eye on the annotated output: from the
 * back of the rear wheel to the front of the front wheel, from the handlebars to the tyres' bottom.
 */
export const BICYCLE_BOX = { x: 125, y: 138, w: 443, h: 282 };

export const image = (name: string) => readFile(path.join(sharedImages, name));

export { tempDir };

export const sharedDatasets = path.resolve(repoRoot, "../shared/datasets");
/** 52 labelled frames of one real lift CCTV camera (classes.txt + YOLO labels), named by capture time. */
export const liftCctv = { images: path.join(sharedDatasets, "lift-cctv-89/images"), labels: path.join(sharedDatasets, "lift-cctv-89/labels") };

/**
 * The shared photos have no e-bike: the porch photo's bicycle stands in for one, so the tests count
 * COCO bicycle as an e-bike (the COCO manifests themselves map only motorbike to e-bike).
 */
export const STAND_IN_EBIKE_CLASSES = ["bicycle", "motorbike"];

/** A detector config that fetches weights from the shared mirror into a fresh temporary models dir. */
export function testConfig(overrides: Partial<DetectorConfig> = {}): DetectorConfig {
  return detectorConfigSchema.parse({ modelsDir: tempDir("models"), mirror: sharedModels, ebikeClasses: STAND_IN_EBIKE_CLASSES, ...overrides });
}
