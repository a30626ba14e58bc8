/**
 * Counts the holds staff called false ("no e-bike"), per lift, over a sliding window. A guard that
 * keeps holding the same lift for nothing is a camera that needs attention (or a model to retrain),
 * and staff switch such a guard off within days unless somebody is told first.
 */
export class FalseHoldCounter {
  readonly #times = new Map<string, number[]>();

  constructor(
    private readonly alertAfter: number,
    private readonly windowMs: number,
  ) {}

  /** Records one false hold; returns how many the lift had in the window when that reaches the alert level, else undefined. */
  record(liftId: string, now: number): number | undefined {
    const times = (this.#times.get(liftId) ?? []).filter((t) => now - t < this.windowMs);
    times.push(now);
    this.#times.set(liftId, times);
    return times.length >= this.alertAfter ? times.length : undefined;
  }
}
