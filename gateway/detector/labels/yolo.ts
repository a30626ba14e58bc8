import { LabelError, linliClass, type LabelBox, type LinliClass } from "./classes.ts";

/** classes.txt: one class name per line, the line's position being the index YOLO label files use. */
export function parseClassesTxt(text: string, file: string): LinliClass[] {
  const classes: LinliClass[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const name = raw.trim();
    // a blank line would shift every later index: refuse it rather than guess
    if (name.length === 0) {
      if (text.split(/\r?\n/).slice(i).some((l) => l.trim().length > 0)) throw new LabelError(file, i + 1, "blank line inside the class list");
      return;
    }
    classes.push(linliClass(name, file, i + 1));
  });
  if (classes.length === 0) throw new LabelError(file, undefined, "no class names");
  return classes;
}

/** A YOLO label file (`index cx cy w h` per line, normalised) to boxes named by linli class. */
export function parseYoloLabels(text: string, classes: readonly LinliClass[], file: string): LabelBox[] {
  const boxes: LabelBox[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const fields = line.trim().split(/\s+/).filter((f) => f.length > 0);
    if (fields.length === 0) return;
    const nums = fields.map(Number);
    const [index, cx, cy, w, h] = nums;
    if (nums.length !== 5 || index === undefined || cx === undefined || cy === undefined || w === undefined || h === undefined || nums.some((n) => !Number.isFinite(n))) {
      throw new LabelError(file, i + 1, `expected "class cx cy w h", got "${line.trim()}"`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= classes.length) {
      throw new LabelError(file, i + 1, `class index ${fields[0]} is not in classes.txt (${classes.length} classes: 0-${classes.length - 1})`);
    }
    if (w <= 0 || h <= 0 || cx - w / 2 < -0.01 || cy - h / 2 < -0.01 || cx + w / 2 > 1.01 || cy + h / 2 > 1.01) {
      throw new LabelError(file, i + 1, `box ${fields.slice(1).join(" ")} is not inside the image (normalised 0-1)`);
    }
    boxes.push({ cls: classes[index]!, x: Math.max(0, cx - w / 2), y: Math.max(0, cy - h / 2), w: Math.min(w, 1), h: Math.min(h, 1) });
  });
  return boxes;
}
