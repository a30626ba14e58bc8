import type { ModelFamily } from "../manifest.ts";
import type { Decoder } from "../types.ts";
import { decodeFastestDet } from "./fastestdet.ts";
import { decodeYolov5 } from "./yolov5.ts";
import { decodeYolov8 } from "./yolov8.ts";
import { decodeYolox } from "./yolox.ts";

/** One decoder per model family; the manifest's `family` picks it. */
export const decoders: Readonly<Record<ModelFamily, Decoder>> = {
  fastestdet: decodeFastestDet,
  yolox: decodeYolox,
  yolov5: decodeYolov5,
  yolov8: decodeYolov8,
};
