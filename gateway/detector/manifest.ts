import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isScalar, parseDocument } from "yaml";
import { z } from "zod";
import { LINLI_CLASSES, isLinliClass, type LinliClass } from "./labels/classes.ts";

/** The manifests and label files that ship with linli (the weights do not: see models/README.md). */
export const BUILTIN_MODELS_DIR = fileURLToPath(new URL("../../models/", import.meta.url));

export const modelFamilies = ["fastestdet", "yolox", "yolov5", "yolov8"] as const;
export type ModelFamily = (typeof modelFamilies)[number];

const inputSchema = z.strictObject({
  /** the ONNX input name; the session's first input when absent */
  name: z.string().optional(),
  width: z.number().int().min(16).max(4096),
  height: z.number().int().min(16).max(4096),
  /** stretch: the frame is resized to width x height, aspect ignored; letterbox: aspect kept, padded */
  resize: z.enum(["stretch", "letterbox"]),
  letterbox: z
    .strictObject({
      align: z.enum(["top-left", "center"]).default("center"),
      pad: z.number().int().min(0).max(255).default(114),
    })
    .default({ align: "center", pad: 114 }),
  channels: z.enum(["rgb", "bgr"]),
  /** pixel values (0-255) are divided by this: 255 for 0-1 inputs, 1 for raw bytes */
  divideBy: z.number().positive(),
});

/** `<modelsDir>/active.json` is the active model record (active-model.ts), so no model may be called this */
export const ACTIVE_RECORD = "active";

export const manifestSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits and . _ - only")
    .refine((id) => id !== ACTIVE_RECORD, `"${ACTIVE_RECORD}" is reserved: ${ACTIVE_RECORD}.json in a models dir is the active model record`),
  title: z.string(),
  family: z.enum(modelFamilies),
  /** file name of the weights inside the models directory */
  file: z.string().regex(/^[^/\\]+\.onnx$/, "a bare .onnx file name"),
  bytes: z.number().int().positive().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** where `linli models fetch` downloads it; a site's own fine-tuned model may have none */
  url: z.string().url().optional(),
  source: z.string().optional(),
  licence: z.string(),
  card: z.string().optional(),
  input: inputSchema,
  /** class names in output order, or a labels file (one per line), relative to the manifest or absolute */
  labels: z.union([z.array(z.string()).min(1), z.string()]),
  /**
   * the model's classes that stand for a linli class (model label -> linli class); a label that is a
   * linli class name stands for itself, and a label mapped to nothing is ignored by evaluation
   */
  classes: z.record(z.string(), z.enum(LINLI_CLASSES)).optional(),
  /** which class names count as an e-bike; by default the labels the class map sends to `ebike` */
  ebikeClasses: z.array(z.string()).min(1).optional(),
  /**
   * the model's trainable weights (a PyTorch state dict), for `linli models train`: fetched and
   * verified like the ONNX; `file` is relative to the models directory (and to a mirror)
   */
  train: z
    .strictObject({
      file: z.string().regex(/^[^\\]+\.pth$/, "a relative .pth path").refine((f) => !f.startsWith("/") && !f.split("/").includes(".."), "inside the models directory"),
      bytes: z.number().int().positive().optional(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      url: z.string().url().optional(),
      source: z.string().optional(),
      licence: z.string(),
    })
    .optional(),
  /**
   * a second stage trained with the model (gateway/detector/verifier.ts): a crop classifier that
   * scores each e-bike call; `file` beside the model, verified by SHA-256 like it
   */
  verifier: z
    .strictObject({
      file: z.string().regex(/^[^/\\]+\.onnx$/, "a bare .onnx file name"),
      bytes: z.number().int().positive().optional(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** the crop's side in pixels */
      size: z.number().int().min(16).max(512),
      /** margin added around a box on each side before cropping, as a share of its size */
      context: z.number().min(0).max(1),
    })
    .optional(),
  thresholds: z.strictObject({
    score: z.number().min(0).max(1),
    iou: z.number().min(0).max(1).default(0.45),
  }),
});

export type ManifestFile = z.infer<typeof manifestSchema>;
export type InputContract = ManifestFile["input"];

/** A manifest with its labels read in, ready for the runtime. */
export interface ModelManifest extends Omit<ManifestFile, "labels" | "classes" | "ebikeClasses"> {
  labels: string[];
  /** per output index, the linli class it stands for, or undefined */
  classMap: Array<LinliClass | undefined>;
  ebikeClasses: string[];
  /** the directory the manifest came from */
  dir: string;
}

async function readLabels(dir: string, labels: ManifestFile["labels"]): Promise<string[]> {
  if (Array.isArray(labels)) return labels;
  const text = await readFile(path.resolve(dir, labels), "utf8");
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * Parses manifest YAML. An unquoted SHA-256 made of digits (and perhaps one "e") reads as a number
 * in YAML, losing the hash: it is taken back as the text that was written.
 */
function parseManifestYaml(text: string): unknown {
  const doc = parseDocument(text);
  for (const node of [doc.get("sha256", true), doc.getIn(["train", "sha256"], true), doc.getIn(["verifier", "sha256"], true)]) {
    if (isScalar(node) && typeof node.value === "number" && typeof node.source === "string") node.value = node.source;
  }
  return doc.toJS();
}

export async function readManifest(file: string): Promise<ModelManifest> {
  const raw = parseManifestYaml(await readFile(file, "utf8"));
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`model manifest ${file}: ${z.prettifyError(parsed.error)}`);
  const dir = path.dirname(file);
  const { classes, ebikeClasses, ...rest } = parsed.data;
  const labels = await readLabels(dir, parsed.data.labels);
  const strays = Object.keys(classes ?? {}).filter((c) => !labels.includes(c));
  if (strays.length > 0) throw new Error(`model manifest ${file}: classes maps labels the model does not have: ${strays.join(", ")}`);
  const classMap = labels.map((l) => classes?.[l] ?? (isLinliClass(l) ? l : undefined));
  const ebikes = ebikeClasses ?? labels.filter((_, i) => classMap[i] === "ebike");
  if (ebikes.length === 0) throw new Error(`model manifest ${file}: no class stands for an e-bike (map one to ebike in classes, or list ebikeClasses)`);
  const unknown = ebikes.filter((c) => !labels.includes(c));
  if (unknown.length > 0) throw new Error(`model manifest ${file}: e-bike classes not in labels: ${unknown.join(", ")}`);
  return { ...rest, labels, classMap, ebikeClasses: ebikes, dir };
}

const MANIFEST_EXT = [".yaml", ".yml", ".json"];

/**
 * Finds the manifest for a model id. A site's own models directory is searched first, so a site
 * can add a fine-tuned model (or override a built-in one) without touching the install.
 */
export async function findManifest(id: string, dirs: readonly string[]): Promise<ModelManifest> {
  for (const dir of id === ACTIVE_RECORD ? [] : [...dirs, BUILTIN_MODELS_DIR]) {
    for (const ext of MANIFEST_EXT) {
      const file = path.join(dir, id + ext);
      if (existsSync(file)) return readManifest(file);
    }
  }
  throw new Error(`no manifest for model "${id}" (looked for ${id}.yaml in ${[...dirs, BUILTIN_MODELS_DIR].join(", ")})`);
}

/** Every model id a manifest exists for, built-in and site-local. */
export async function listModelIds(dirs: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const dir of [...dirs, BUILTIN_MODELS_DIR]) {
    const names = existsSync(dir) ? await readdir(dir) : [];
    for (const name of names) {
      const ext = MANIFEST_EXT.find((e) => name.endsWith(e));
      const id = ext && name.slice(0, -ext.length);
      if (id && id !== ACTIVE_RECORD) ids.add(id);
    }
  }
  return [...ids].sort();
}
