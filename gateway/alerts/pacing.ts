import type { WebhookConfig } from "./config.ts";
import type { AlertChange } from "./types.ts";

/**
 * Messages a minute each type of channel is paced to when its webhook sets no `perMinute`: a WeCom
 * group robot takes 20 a minute and then refuses the sender (errcode 45009) for minutes, DingTalk's
 * custom robot documents the same 20; a JSON endpoint is the site's own server.
 */
export const DEFAULT_PER_MINUTE: Record<WebhookConfig["type"], number> = { wecom: 20, dingtalk: 20, json: 120 };

const WINDOW_MS = 60_000;

/** What one send carries: one change on its own, or several merged into a digest. */
export type Outgoing = { alone: AlertChange } | { digest: AlertChange[] };

export interface ChannelHealth {
  name: string;
  type: WebhookConfig["type"];
  perMinute: number;
  /** alerts delivered on their own */
  sent: number;
  /** alerts delivered counted in a digest */
  digested: number;
  /** alerts waiting for the channel's budget or the next digest */
  queued: number;
  /** alerts whose message the channel never took, after every retry */
  failed: number;
  /** the last message failed for good (true until one gets through) */
  failing: boolean;
  lastError?: string;
  lastErrorAt?: number;
  lastSentAt?: number;
}

export interface PacingOptions {
  perMinute: number;
  digestEveryMs: number;
  signal: AbortSignal;
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
 * included). While under half of the minute's budget is used, each change goes alone at once; past
 * that, changes wait and go together as one digest every `digestEveryMs`, so a burst costs a few
 * messages and the rest of the budget stays for what comes next. Nothing leaves the queue except
 * by being sent, alone or in a digest, or failing for good: every change is counted as one of them.
 */
export class PacedChannel {
  readonly #queue: Array<{ change: AlertChange; queuedAt: number }> = [];
  /** start times of requests within the last window */
  readonly #requests: number[] = [];
  #running: Promise<void> | undefined;
  readonly #health: ChannelHealth;

  constructor(
    readonly name: string,
    type: WebhookConfig["type"],
    private readonly options: PacingOptions,
    /** sends one message with retries, calling `slot` before each attempt; rejects when it is given up */
    private readonly send: (out: Outgoing, slot: () => Promise<void>) => Promise<void>,
  ) {
    this.#health = { name, type, perMinute: options.perMinute, sent: 0, digested: 0, queued: 0, failed: 0, failing: false };
  }

  health(): ChannelHealth {
    return { ...this.#health, queued: this.#queue.length };
  }

  push(change: AlertChange): void {
    this.#queue.push({ change, queuedAt: Date.now() });
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

  async #drain(): Promise<void> {
    const { perMinute, digestEveryMs, signal } = this.options;
    const half = Math.ceil(perMinute / 2);
    while (this.#queue.length > 0 && !signal.aborted) {
      const now = Date.now();
      const used = this.#used(now);
      const digestDue = this.#queue[0]!.queuedAt + digestEveryMs;
      // what waited its digest time goes now, all of it in one message (alone when it is one change)
      if (used < perMinute && now >= digestDue) {
        await this.#deliver(this.#queue.splice(0).map((q) => q.change));
        continue;
      }
      if (used < half) {
        await this.#deliver([this.#queue.shift()!.change]);
        continue;
      }
      // past half the budget: wait for the digest to be due (and a request free), or for the window to slide below half
      const digestAt = Math.max(digestDue, used >= perMinute ? this.#requests[used - perMinute]! + WINDOW_MS : now);
      const belowHalfAt = this.#requests[used - half]! + WINDOW_MS;
      await sleep(Math.min(digestAt, belowHalfAt) - now, signal);
    }
  }

  async #deliver(changes: AlertChange[]): Promise<void> {
    const out: Outgoing = changes.length === 1 ? { alone: changes[0]! } : { digest: changes };
    try {
      await this.send(out, this.#slot);
      if ("alone" in out) this.#health.sent++;
      else this.#health.digested += changes.length;
      this.#health.failing = false;
      this.#health.lastSentAt = Date.now();
    } catch (err) {
      this.#health.failed += changes.length;
      this.#health.failing = true;
      this.#health.lastError = String(err).slice(0, 300);
      this.#health.lastErrorAt = Date.now();
    }
  }
}
