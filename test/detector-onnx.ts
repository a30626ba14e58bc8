/**
 * Writes tiny ONNX models by hand, so that the YOLOv5 and YOLOv8 families (for which no real weights
 * are at hand) run end to end through onnxruntime: the model only reshapes its input image into the
 * family's output layout, so a test paints the output it wants as pixels.
 */

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: Uint8Array | number[]) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, "utf8")]);

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, dims: readonly number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** A model with one float input [1, 3, height, width] and one output: that input reshaped to `outputDims`. */
export function reshapeModel(inputName: string, inputDims: readonly number[], outputName: string, outputDims: readonly number[]): Buffer {
  const shapeData = Buffer.alloc(8 * outputDims.length);
  outputDims.forEach((d, i) => shapeData.writeBigInt64LE(BigInt(d), 8 * i));
  const shapeTensor = [...int(1, outputDims.length), ...int(2, INT64), ...str(8, "shape"), ...bytes(9, shapeData)];
  const node = [...str(1, inputName), ...str(1, "shape"), ...str(2, outputName), ...str(3, "reshape"), ...str(4, "Reshape")];
  const graph = [...bytes(1, node), ...str(2, "test"), ...bytes(5, shapeTensor), ...bytes(11, valueInfo(inputName, inputDims)), ...bytes(12, valueInfo(outputName, outputDims))];
  const opset = int(2, 13);
  return Buffer.from([...int(1, 8), ...bytes(8, opset), ...bytes(7, graph)]);
}
