/**
 * Which of a model's classes count as an e-bike. COCO models have none, so bicycle and motorbike
 * stand in by default; a site that allows pedal bicycles in its lifts maps motorbike alone (config
 * `detector.ebikeClasses`), and a fine-tuned model maps its own `ebike` class.
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
