// One onnxruntime session on a worker thread. onnxruntime-node's session.run() returns a promise but
// runs the model synchronously on the calling thread (it only defers the call with setImmediate), so
// on the main thread every inference would stall MQTT ingest for its whole duration. Here it stalls
// nobody. Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader the
// gateway, vitest and tsx run under, and this file needs nothing but onnxruntime.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";

const { modelPath, threads } = workerData;

try {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  parentPort.on("message", async ({ id, inputName, outputName, data, dims }) => {
    try {
      const started = performance.now();
      const results = await session.run({ [inputName]: new ort.Tensor("float32", data, dims) });
      const ms = performance.now() - started;
      const output = results[outputName];
      if (!output || output.type !== "float32") throw new Error(`output ${outputName} is not a float32 tensor`);
      const out = output.data;
      parentPort.postMessage({ id, data: out, dims: output.dims, ms }, [out.buffer]);
    } catch (err) {
      parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  parentPort.postMessage({ ready: true, inputNames: session.inputNames, outputNames: session.outputNames });
} catch (err) {
  parentPort.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) });
}
