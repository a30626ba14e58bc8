/**
 * The broker's limits, each a small piece of state with no I/O: the MQTT packet-size guard that
 * reads fixed headers off the wire, the per-client token bucket, and the per-address slowdown of
 * failed logins.
 */

export type GuardVerdict = { ok: true } | { ok: false; reason: "packet_size"; declared: number } | { ok: false; reason: "malformed" };

/**
 * Follows MQTT packet boundaries in a byte stream by reading each fixed header (type byte and the
 * variable-length "remaining length") and skipping the body. A packet that declares more than
 * `maxBytes` is refused from its header alone, before anyone buffers its body: aedes and
 * mqtt-packet have no size limit of their own and would otherwise keep up to 256 MiB per packet.
 */
export class PacketSizeGuard {
  #phase: "type" | "length" | "body" = "type";
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(readonly maxBytes: number) {}

  feed(chunk: Buffer): GuardVerdict {
    let i = 0;
    while (i < chunk.length) {
      if (this.#phase === "type") {
        i++;
        this.#phase = "length";
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
      } else if (this.#phase === "length") {
        const byte = chunk[i++] as number;
        this.#length += (byte & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        this.#lengthBytes++;
        if (byte & 0x80) {
          if (this.#lengthBytes >= 4) return { ok: false, reason: "malformed" };
          continue;
        }
        const total = 1 + this.#lengthBytes + this.#length;
        if (total > this.maxBytes) return { ok: false, reason: "packet_size", declared: total };
        this.#bodyLeft = this.#length;
        this.#phase = this.#bodyLeft > 0 ? "body" : "type";
      } else {
        const n = Math.min(this.#bodyLeft, chunk.length - i);
        i += n;
        this.#bodyLeft -= n;
        if (this.#bodyLeft === 0) this.#phase = "type";
      }
    }
    return { ok: true };
  }
}

/** A token bucket: `rate` per second sustained, `burst` at once. Tokens may be reserved ahead. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /**
   * Takes one token. Returns 0 when one was there, else how long the caller must wait for its
   * reserved token; when that wait would pass `maxWaitMs`, nothing is reserved and -1 is returned.
   */
  take(now: number, maxWaitMs: number): number {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    const waitMs = ((1 - this.#tokens) / this.rate) * 1000;
    if (waitMs > maxWaitMs) return -1;
    this.#tokens -= 1;
    return Math.ceil(waitMs);
  }
}

export interface SlowdownOptions {
  freeAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  /** addresses remembered at most; the longest-quiet is forgotten first */
  maxAddresses?: number;
}

/** Failed logins per address: after `freeAttempts`, every attempt waits, doubling up to a cap. */
export class FailureSlowdown {
  readonly #failures = new Map<string, { count: number; last: number }>();
  readonly #max: number;

  constructor(private readonly options: SlowdownOptions) {
    this.#max = options.maxAddresses ?? 10_000;
  }

  /** How long an attempt from `address` waits before it is even checked. */
  delayFor(address: string, now: number): number {
    const f = this.#failures.get(address);
    if (!f) return 0;
    if (now - f.last > this.options.forgetAfterMs) {
      this.#failures.delete(address);
      return 0;
    }
    const over = f.count - this.options.freeAttempts;
    if (over <= 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  failed(address: string, now: number): void {
    const f = this.#failures.get(address);
    const count = f && now - f.last <= this.options.forgetAfterMs ? f.count + 1 : 1;
    this.#failures.delete(address);
    this.#failures.set(address, { count, last: now });
    while (this.#failures.size > this.#max) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** A success clears an address's record. */
  forget(address: string): void {
    this.#failures.delete(address);
  }

  get addresses(): number {
    return this.#failures.size;
  }
}
