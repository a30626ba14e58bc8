import type { LabelBox } from "../detector/labels/classes.ts";
import type { HoldVerdict } from "../lift/events.ts";
import type { CollectedFrame } from "./store.ts";

/**
 * The labels a hold's verdict gives a frame staff have not labelled by hand. "No e-bike": nothing
 * to find there, a negative for training. "E-bike": the model's own e-bike boxes at its threshold,
 * which staff confirmed were right to hold for; the labelling page can still correct them.
 */
export function verdictLabels(frame: CollectedFrame, verdict: HoldVerdict): LabelBox[] {
  if (verdict === "no_ebike") return [];
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return frame.predictions
    .filter((p) => p.cls === "ebike" && p.score >= frame.threshold)
    .map((p) => {
      const x = clamp(p.x);
      const y = clamp(p.y);
      return { cls: "ebike" as const, x, y, w: Math.max(1e-4, clamp(p.x + p.w) - x), h: Math.max(1e-4, clamp(p.y + p.h) - y) };
    });
}
