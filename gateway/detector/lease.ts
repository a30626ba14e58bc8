import type { Detector } from "./detector.ts";

/**
 * A loaded detector that frames borrow while they are judged. When another model replaces it, it is
 * retired: frames already on it finish there, and it closes once the last of them is done, so a swap
 * neither cuts a verdict short nor leaves the old model's sessions running.
 */
export class DetectorLease {
  #runs = 0;
  #closed: Promise<void> | undefined;
  #closeNow: (() => void) | undefined;

  /** `model` is the id it was opened under, which is what active.json names */
  constructor(
    readonly model: string,
    readonly detector: Detector,
  ) {}

  get retired(): boolean {
    return this.#closed !== undefined;
  }

  async use<T>(run: (detector: Detector) => Promise<T>): Promise<T> {
    // callers pick the lease synchronously with the frame, so a retired one here is a bug, not a race
    if (this.retired) throw new Error(`model ${this.model} was retired and cannot judge another frame`);
    this.#runs++;
    try {
      return await run(this.detector);
    } finally {
      if (--this.#runs === 0) this.#closeNow?.();
    }
  }

  /** Takes no new frames; resolves once the frames on it are done and the detector is closed. */
  retire(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closeNow = resolve;
      if (this.#runs === 0) resolve();
    }).then(() => this.detector.close());
    return this.#closed;
  }
}
