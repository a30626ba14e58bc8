/**
 * Which of a model's classes count as an e-bike: by default those its manifest maps to linli's
 * `ebike` (COCO motorbike; a fine-tuned model's own `ebike`), or `detector.ebikeClasses`.
 */
export function resolveEbikeClasses(labels: readonly string[], names: readonly string[]): ReadonlySet<number> {
  const indices = new Set<number>();
  for (const name of names) {
    const index = labels.indexOf(name);
    if (index < 0) throw new Error(`e-bike class "${name}" is not one of the model's labels (${labels.slice(0, 8).join(", ")}${labels.length > 8 ? ", ..." : ""})`);
    indices.add(index);
  }
  return indices;
}
