import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface CameraImages {
  /** ordinary frames */
  images: Buffer[];
  /** frames whose file name says they show a bike (`*bike*`), for e-bike stretches */
  ebikeImages: Buffer[];
}

/** JPEG and PNG files of a folder, for simulated cameras. */
export function loadImages(dir: string): CameraImages {
  const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const read = (f: string) => readFileSync(join(dir, f));
  return { images: files.filter((f) => !/bike|bicycle/i.test(f)).map(read), ebikeImages: files.filter((f) => /bike|bicycle/i.test(f)).map(read) };
}
