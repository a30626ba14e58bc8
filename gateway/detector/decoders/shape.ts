import type { OutputTensor } from "../types.ts";

/** Checks an output's shape against what a family's decoder expects, with a message a person can act on. */
export function expectDims(family: string, output: OutputTensor, expected: readonly number[]): void {
  const ok = output.dims.length === expected.length && output.dims.every((d, i) => d === expected[i]);
  if (!ok) {
    throw new Error(`${family} output has shape [${output.dims.join(",")}], expected [${expected.join(",")}]: wrong family or input size in the manifest?`);
  }
  const size = expected.reduce((a, b) => a * b, 1);
  if (output.data.length !== size) throw new Error(`${family} output holds ${output.data.length} values, expected ${size}`);
}

/** Index and value of the largest of `count` values spaced `stride` apart from `start`. */
export function argmax(data: Float32Array, start: number, count: number, stride: number): { index: number; value: number } {
  let index = 0;
  let value = -Infinity;
  for (let k = 0; k < count; k++) {
    const v = data[start + k * stride]!;
    if (v > value) {
      value = v;
      index = k;
    }
  }
  return { index, value };
}
