import { iou } from "./geometry.ts";
import type { Box } from "./types.ts";

/**
 * Greedy non-maximum suppression, per class: the best box of a class suppresses the boxes of the
 * same class that overlap it by more than `iouThreshold`. Returns at most `limit` items, best first.
 */
export function nms<T extends { cls: number; score: number; box: Box }>(items: readonly T[], iouThreshold: number, limit = 100): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const item of sorted) {
    if (kept.length >= limit) break;
    if (kept.some((k) => k.cls === item.cls && iou(k.box, item.box) > iouThreshold)) continue;
    kept.push(item);
  }
  return kept;
}
