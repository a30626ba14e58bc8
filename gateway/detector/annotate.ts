import type { Detection } from "./types.ts";
import { loadSharp } from "../sharp.ts";

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An SVG the size of the frame: one box and label per detection, e-bikes in red, the rest in green. */
export function overlaySvg(width: number, height: number, detections: readonly Detection[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 250));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const items = detections.map((d) => {
    const colour = d.ebike ? "#ff2020" : "#20c040";
    const { x, y, w, h } = d.box;
    const text = escapeXml(`${d.ebike ? "EBIKE " : ""}${d.label} ${d.score.toFixed(2)}`);
    const ty = y >= font + 4 ? y - 4 : y + font + 2;
    return (
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<text x="${(x + 2).toFixed(1)}" y="${ty.toFixed(1)}" font-family="sans-serif" font-size="${font}" fill="${colour}" stroke="#000" stroke-width="0.6">${text}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${items.join("")}</svg>`;
}

/** The frame as JPEG with its detections drawn on it, so a person can see what the model saw. */
export async function annotate(image: Buffer, width: number, height: number, detections: readonly Detection[]): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(image)
    .composite([{ input: Buffer.from(overlaySvg(width, height, detections)), top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
