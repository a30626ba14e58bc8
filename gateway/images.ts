import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** JPEG and PNG files of a folder, for simulated cameras. */
export function loadImages(dir: string): Buffer[] {
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}
