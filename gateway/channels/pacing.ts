import type { ChannelHealth, ChannelType } from "./types.ts";

const WINDOW_MS = 60_000;

/** What one send carries: one item on its own, or several merged into a digest. */
export type Outgoing<T> = { alone: T } | { digest: T[] };

export interface PacingOptions<T> {
  perMinute: number;
  digestEveryMs: number;
  signal: AbortSignal;
  /** items of one key may go together in a digest; undefined: always alone (default: every item one key) */
  digestKey?: (item: T) => string | undefined;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * One channel's queue, one message at a time, paced so that no 60 s window holds more than `perMinute` requests (retries
 * included). While under half of the minute's budget is used, each item goes alone at once; past
 * that, items wait and go together as one digest every `digestEveryMs` (those of the first waiting
 * item's key; the others next), so a burst costs a few messages and the rest of the budget stays for
 * what comes next. Nothing leaves the queue except by being sent, alone or in a digest, or failing
 * for good: every item is counted as one of them.
 */
export class PacedChannel<T> {
  readonly #queue: Array<{ item: T; queuedAt: number }> = [];
  /** start times of requests within the last window */
  readonly #requests: number[] = [];
  #running: Promise<void> | undefined;
  readonly #health: ChannelHealth;
  readonly #key: (item: T) => string | undefined;

  constructor(
    readonly name: string,
    type: ChannelType,
    private readonly options: PacingOptions<T>,
    /** sends one message with retries, calling `slot` before each attempt; rejects when it is given up */
    private readonly send: (out: Outgoing<T>, slot: () => Promise<void>) => Promise<void>,
  ) {
    this.#health = { name, type, perMinute: options.perMinute, sent: 0, digested: 0, queued: 0, failed: 0, failing: false };
    this.#key = options.digestKey ?? (() => "");
  }

  health(): ChannelHealth {
    return { ...this.#health, queued: this.#queue.length };
  }

  push(item: T): void {
    this.#queue.push({ item, queuedAt: Date.now() });
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves when the queue is empty and nothing is being sent (or the channel was stopped). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #used(now: number): number {
    while (this.#requests.length > 0 && this.#requests[0]! <= now - WINDOW_MS) this.#requests.shift();
    return this.#requests.length;
  }

  /** Waits until the window has room for one more request, and books it; throws once the channel is stopped. */
  readonly #slot = async (): Promise<void> => {
    const { perMinute, signal } = this.options;
    while (!signal.aborted && this.#used(Date.now()) >= perMinute) await sleep(this.#requests[0]! + WINDOW_MS - Date.now(), signal);
    if (signal.aborted) throw new Error("stopped");
    this.#requests.push(Date.now());
  };

  /** The first waiting item and every other of its key, in order, out of the queue. */
  #takeDigest(): T[] {
    const key = this.#key(this.#queue[0]!.item);
    if (key === undefined) return [this.#queue.shift()!.item];
    const taken: T[] = [];
    for (let i = 0; i < this.#queue.length; ) {
      if (this.#key(this.#queue[i]!.item) === key) taken.push(this.#queue.splice(i, 1)[0]!.item);
      else i++;
    }
    return taken;
  }

  async #drain(): Promise<void> {
    const { perMinute, digestEveryMs, signal } = this.options;
    const half = Math.ceil(perMinute / 2);
    while (this.#queue.length > 0 && !signal.aborted) {
      const now = Date.now();
      const used = this.#used(now);
      const digestDue = this.#queue[0]!.queuedAt + digestEveryMs;
      // what waited its digest time goes now, all of its key in one message (alone when it is one item)
      if (used < perMinute && now >= digestDue) {
        await this.#deliver(this.#takeDigest());
        continue;
      }
      if (used < half) {
        await this.#deliver([this.#queue.shift()!.item]);
        continue;
      }
      // past half the budget: wait for the digest to be due (and a request free), or for the window to slide below half
      const digestAt = Math.max(digestDue, used >= perMinute ? this.#requests[used - perMinute]! + WINDOW_MS : now);
      const belowHalfAt = this.#requests[used - half]! + WINDOW_MS;
      await sleep(Math.min(digestAt, belowHalfAt) - now, signal);
    }
  }

  async #deliver(items: T[]): Promise<void> {
    const out: Outgoing<T> = items.length === 1 ? { alone: items[0]! } : { digest: items };
    try {
      await this.send(out, this.#slot);
      if ("alone" in out) this.#health.sent++;
      else this.#health.digested += items.length;
      this.#health.failing = false;
      this.#health.lastSentAt = Date.now();
    } catch (err) {
      this.#health.failed += items.length;
      this.#health.failing = true;
      this.#health.lastError = String(err).slice(0, 300);
      this.#health.lastErrorAt = Date.now();
    }
  }
}
