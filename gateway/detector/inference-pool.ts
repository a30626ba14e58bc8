import { Worker } from "node:worker_threads";
import type { OutputTensor } from "./types.ts";

const WORKER_URL = new URL("./inference-worker.mjs", import.meta.url);

interface Pending {
  resolve(result: OutputTensor & { ms: number }): void;
  reject(err: Error): void;
}

type WorkerMessage =
  | { ready: true; inputNames: string[]; outputNames: string[] }
  | { ready: false; error: string }
  | { id: number; data: Float32Array; dims: number[]; ms: number }
  | { id: number; error: string };

/** One worker thread holding one session, and the requests it has not answered yet. */
class SessionWorker {
  readonly pending = new Map<number, Pending>();
  #nextId = 0;
  #exited: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: string[],
    readonly outputNames: string[],
  ) {
    worker.on("message", (msg: WorkerMessage) => {
      if (!("id" in msg)) return;
      const request = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if ("error" in msg) request?.reject(new Error(msg.error));
      else request?.resolve({ data: msg.data, dims: msg.dims, ms: msg.ms });
    });
    worker.on("error", (err) => this.#fail(err));
    worker.on("exit", (code) => this.#fail(new Error(`inference worker exited (code ${code})`)));
  }

  static open(modelPath: string, threads: number): Promise<SessionWorker> {
    const worker = new Worker(WORKER_URL, { workerData: { modelPath, threads } });
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      worker.once("error", fail);
      worker.once("message", (msg: WorkerMessage) => {
        worker.off("error", fail);
        if ("ready" in msg && msg.ready) {
          resolve(new SessionWorker(worker, msg.inputNames, msg.outputNames));
        } else {
          void worker.terminate();
          reject(new Error("error" in msg ? msg.error : "inference worker did not start"));
        }
      });
    });
  }

  get alive(): boolean {
    return this.#exited === undefined;
  }

  run(inputName: string, outputName: string, data: Float32Array, dims: number[]): Promise<OutputTensor & { ms: number }> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // the tensor's memory moves to the worker rather than being copied; the caller must not reuse it
      this.worker.postMessage({ id, inputName, outputName, data, dims }, [data.buffer as ArrayBuffer]);
    });
  }

  #fail(err: Error): void {
    this.#exited ??= err;
    for (const request of this.pending.values()) request.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.#exited ??= new Error("inference worker closed");
    await this.worker.terminate();
  }
}

/**
 * A few worker threads, each with its own session of the same model, so that inference runs off the
 * event loop and frames of different lifts can be inferred at once. A request goes to the worker
 * with the fewest outstanding requests. A worker that dies fails its own requests and the others
 * carry on; with none left, every request fails (and every frame is reported unjudged).
 */
export class InferencePool {
  private constructor(private readonly workers: SessionWorker[]) {}

  static async open(modelPath: string, options: { size: number; threads: number }): Promise<InferencePool> {
    const workers = await Promise.allSettled(Array.from({ length: options.size }, () => SessionWorker.open(modelPath, options.threads)));
    const opened = workers.flatMap((w) => (w.status === "fulfilled" ? [w.value] : []));
    const failed = workers.find((w) => w.status === "rejected");
    if (failed) {
      await Promise.all(opened.map((w) => w.close()));
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    return new InferencePool(opened);
  }

  get inputNames(): string[] {
    return this.workers[0]?.inputNames ?? [];
  }

  get outputNames(): string[] {
    return this.workers[0]?.outputNames ?? [];
  }

  run(inputName: string, outputName: string, data: Float32Array, dims: number[]): Promise<OutputTensor & { ms: number }> {
    const worker = this.workers.filter((w) => w.alive).reduce<SessionWorker | undefined>((best, w) => (!best || w.pending.size < best.pending.size ? w : best), undefined);
    if (!worker) return Promise.reject(new Error("no inference worker is running"));
    return worker.run(inputName, outputName, data, dims);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
