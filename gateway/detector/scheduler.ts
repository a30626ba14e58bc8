/** Why a submitted item was never run. */
export type DropReason = "stale" | "queue_full";

export interface SchedulerOptions<T> {
  /** items running at once, across all keys (never two of one key) */
  concurrency: number;
  /** keys that may wait with an item at once */
  maxQueued: number;
  /** does the work; `dropped` is how many of this key's items were dropped since its last run */
  run(key: string, item: T, dropped: number): Promise<void>;
  onDrop(key: string, item: T, reason: DropReason): void;
  /** keys to serve before the others when a slot frees (lifts whose car could be held now) */
  urgent?(key: string): boolean;
}

/**
 * Per key (a lift), only the newest item matters: a key holds at most one running and one waiting
 * item, and a new item replaces the waiting one (the replaced one is dropped as stale). Waiting keys
 * are served in the order they started waiting, so a busy lift cannot starve a quiet one; `urgent`
 * keys (a car that could be held now) are served before the others, in that order too. submit()
 * never waits: the caller (the bus listener on the ingest path) returns at once.
 */
export class LatestWinsScheduler<T> {
  /** waiting items by key; a Map keeps insertion order, and replacing a value keeps the key's place */
  readonly #waiting = new Map<string, T>();
  readonly #running = new Set<string>();
  readonly #dropped = new Map<string, number>();
  #idle: Array<() => void> = [];
  #stopped = false;

  constructor(private readonly options: SchedulerOptions<T>) {}

  submit(key: string, item: T): void {
    if (this.#stopped) return;
    const replaced = this.#waiting.get(key);
    if (replaced !== undefined) {
      this.#drop(key, replaced, "stale");
    } else if (this.#waiting.size >= this.options.maxQueued) {
      this.#drop(key, item, "queue_full");
      return;
    }
    this.#waiting.set(key, item);
    this.#pump();
  }

  /** Items waiting (not running) now. */
  get queued(): number {
    return this.#waiting.size;
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.#running.size === 0 && this.#waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Refuses new items, forgets waiting ones, and resolves when the running ones are done. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#waiting.clear();
    return this.idle();
  }

  #drop(key: string, item: T, reason: DropReason): void {
    this.#dropped.set(key, (this.#dropped.get(key) ?? 0) + 1);
    this.options.onDrop(key, item, reason);
  }

  #pump(): void {
    const urgent = this.options.urgent;
    if (urgent) this.#serve((key) => urgent(key));
    this.#serve(() => true);
  }

  #serve(eligible: (key: string) => boolean): void {
    for (const [key, item] of this.#waiting) {
      if (this.#running.size >= this.options.concurrency) return;
      if (this.#running.has(key) || !eligible(key)) continue;
      this.#waiting.delete(key);
      this.#running.add(key);
      const dropped = this.#dropped.get(key) ?? 0;
      this.#dropped.delete(key);
      // run() reports its own errors; a throw here must still free the slot
      void this.options
        .run(key, item, dropped)
        .catch(() => undefined)
        .finally(() => {
          this.#running.delete(key);
          this.#pump();
          if (this.#running.size === 0 && this.#waiting.size === 0) {
            for (const resolve of this.#idle.splice(0)) resolve();
          }
        });
    }
  }
}
