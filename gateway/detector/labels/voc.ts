import { LabelError, linliClass, type LabelBox } from "./classes.ts";

const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

function tag(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(body)?.[1];
}

/**
 * A Pascal VOC annotation (LabelImg, CVAT's VOC export) to boxes named by linli class. Only the
 * elements VOC defines are read; the image size comes from <size> or, when that is absent or zero,
 * from the image itself (`imageSize`). Pixel coordinates are 1-based in VOC, as LabelImg writes them.
 */
export function parseVocXml(text: string, file: string, imageSize: { width: number; height: number }): LabelBox[] {
  if (!/<annotation[\s>]/.test(text) || !/<\/annotation>/.test(text)) throw new LabelError(file, undefined, "not a VOC annotation (no <annotation> element)");
  const size = /<size>([\s\S]*?)<\/size>/.exec(text)?.[1];
  const width = Number(size && tag(size, "width")) || imageSize.width;
  const height = Number(size && tag(size, "height")) || imageSize.height;
  const boxes: LabelBox[] = [];
  for (const match of text.matchAll(/<object>([\s\S]*?)<\/object>/g)) {
    const line = lineOf(text, match.index);
    const body = match[1]!;
    const name = tag(body, "name");
    if (name === undefined || name.length === 0) throw new LabelError(file, line, "<object> without a <name>");
    const cls = linliClass(name, file, line + body.slice(0, body.indexOf("<name>")).split("\n").length - 1);
    const bndbox = /<bndbox>([\s\S]*?)<\/bndbox>/.exec(body)?.[1];
    const [xmin, ymin, xmax, ymax] = ["xmin", "ymin", "xmax", "ymax"].map((k) => Number(bndbox === undefined ? NaN : (tag(bndbox, k) ?? NaN)));
    if (![xmin, ymin, xmax, ymax].every(Number.isFinite) || xmax! <= xmin! || ymax! <= ymin!) {
      throw new LabelError(file, line, `object "${name}" has no valid <bndbox> (xmin < xmax, ymin < ymax, numbers)`);
    }
    const x0 = Math.max(0, xmin! - 1) / width;
    const y0 = Math.max(0, ymin! - 1) / height;
    const x1 = Math.min(width, xmax!) / width;
    const y1 = Math.min(height, ymax!) / height;
    if (x0 >= 1 || y0 >= 1) throw new LabelError(file, line, `object "${name}" lies outside the ${width}x${height} image`);
    boxes.push({ cls, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  return boxes;
}
