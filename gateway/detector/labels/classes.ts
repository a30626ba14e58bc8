/**
 * linli's own label space: what a lift guard has to tell apart. Only `ebike` may hold a lift; the
 * rest are the look-alikes a guard must never hold for. Labels and model class maps name these,
 * never a model's output indices, so one labelled folder judges every model.
 */
export const LINLI_CLASSES = ["ebike", "bicycle", "stroller", "wheelchair", "trolley", "person"] as const;
export type LinliClass = (typeof LINLI_CLASSES)[number];

export const isLinliClass = (name: string): name is LinliClass => (LINLI_CLASSES as readonly string[]).includes(name);

/** One labelled object; the box is normalised to the image (0-1), top-left corner and size. */
export interface LabelBox {
  cls: LinliClass;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A label file that cannot be read as labels: names the file and, where there is one, the line. */
export class LabelError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    reason: string,
  ) {
    super(`${file}${line === undefined ? "" : `:${line}`}: ${reason}`);
    this.name = "LabelError";
  }
}

/** A class name from a label to a linli class, or an error that says which names are known. */
export function linliClass(name: string, file: string, line: number | undefined): LinliClass {
  if (isLinliClass(name)) return name;
  throw new LabelError(file, line, `unknown class "${name}" (linli's classes: ${LINLI_CLASSES.join(", ")})`);
}
