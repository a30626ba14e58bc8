/** Box in pixels of the frame as received: x, y is the top-left corner. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One object found in a frame, after NMS, in the frame's own pixel coordinates. */
export interface Detection {
  /** class index in the model's output order */
  cls: number;
  label: string;
  score: number;
  box: Box;
  /** true when the class counts as an e-bike under the active class map */
  ebike: boolean;
}

/** A decoder's raw candidate: corners in pixels of the model input (before undoing the resize). */
export interface Candidate {
  cls: number;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** What a decoder gets besides the output tensor. */
export interface DecodeContext {
  inputWidth: number;
  inputHeight: number;
  numClasses: number;
  /** candidates scoring below this are not returned */
  minScore: number;
}

/** The raw output tensor of a model, as onnxruntime hands it back. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Turns one model family's raw output into candidates; throws when the tensor has the wrong shape. */
export type Decoder = (output: OutputTensor, ctx: DecodeContext) => Candidate[];
