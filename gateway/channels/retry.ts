export interface RetryOptions {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** Delay before attempt `n` (1-based, n >= 2): doubling from minDelayMs, capped, with +-20 % jitter. */
export function backoffMs(n: number, o: RetryOptions, random = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.minDelayMs * 2 ** Math.max(0, n - 2));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Runs `attempt` until it succeeds, the attempts are used up, or `signal` aborts (stop()).
 * Returns how many attempts it took; throws the last error.
 */
export async function withRetry(attempt: (n: number) => Promise<void>, o: RetryOptions, signal: AbortSignal, onFail?: (n: number, err: unknown) => void): Promise<number> {
  let last: unknown;
  for (let n = 1; n <= o.attempts; n++) {
    if (signal.aborted) break;
    if (n > 1) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, backoffMs(n, o));
        function done() {
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
      if (signal.aborted) break;
    }
    try {
      await attempt(n);
      return n;
    } catch (err) {
      last = err;
      onFail?.(n, err);
    }
  }
  throw last ?? new Error("stopped before delivery");
}
