/**
 * Things that happen later in a simulated day (a hold ending, a guard acknowledging an alert, a
 * technician finishing a job), run in time order as the simulated clock passes them. Those at the
 * same instant run in the order they were planned.
 */
export class Timeline {
  readonly #due: Array<{ at: number; seq: number; run: () => void }> = [];
  #seq = 0;

  at(at: number, run: () => void): void {
    const item = { at, seq: ++this.#seq, run };
    // binary search for the first later item: the list stays sorted by (at, seq)
    let lo = 0;
    let hi = this.#due.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#due[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.#due.splice(lo, 0, item);
  }

  /** Runs everything due up to `now`, each told its own time; things planned while running run too when due. */
  runUntil(now: number, clock: (at: number) => void): void {
    while (this.#due.length > 0 && this.#due[0]!.at <= now) {
      const item = this.#due.shift()!;
      clock(item.at);
      item.run();
    }
  }
}
