import type { InputContract } from "./manifest.ts";
import type { Box, Candidate } from "./types.ts";

/**
 * How a frame was fitted into the model input: scaled by (sx, sy), then shifted by (padX, padY).
 * Kept so that boxes can be mapped back to the frame's own pixels.
 */
export interface Fit {
  frameWidth: number;
  frameHeight: number;
  /** the resized image, before padding */
  width: number;
  height: number;
  sx: number;
  sy: number;
  padX: number;
  padY: number;
}

export function fitFrame(frameWidth: number, frameHeight: number, input: InputContract): Fit {
  if (input.resize === "stretch") {
    return { frameWidth, frameHeight, width: input.width, height: input.height, sx: input.width / frameWidth, sy: input.height / frameHeight, padX: 0, padY: 0 };
  }
  const r = Math.min(input.width / frameWidth, input.height / frameHeight);
  const width = Math.max(1, Math.min(input.width, Math.round(frameWidth * r)));
  const height = Math.max(1, Math.min(input.height, Math.round(frameHeight * r)));
  const centred = input.letterbox.align === "center";
  const padX = centred ? Math.floor((input.width - width) / 2) : 0;
  const padY = centred ? Math.floor((input.height - height) / 2) : 0;
  return { frameWidth, frameHeight, width, height, sx: width / frameWidth, sy: height / frameHeight, padX, padY };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A candidate's corners (model-input pixels) as a box in frame pixels, clipped to the frame. */
export function toFrameBox(c: Candidate, fit: Fit): Box {
  const x1 = clamp((c.x1 - fit.padX) / fit.sx, 0, fit.frameWidth);
  const y1 = clamp((c.y1 - fit.padY) / fit.sy, 0, fit.frameHeight);
  const x2 = clamp((c.x2 - fit.padX) / fit.sx, 0, fit.frameWidth);
  const y2 = clamp((c.y2 - fit.padY) / fit.sy, 0, fit.frameHeight);
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
