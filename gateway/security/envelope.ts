import { randomBytes } from "node:crypto";

/**
 * Commands carry a nonce and an expiry: `{"nonce":"…","expiresAt":1764300060000, …the command…}`.
 * A command is refused when it is late (now > expiresAt), when its expiry is further ahead than
 * `maxTtlMs` (so no command lives forever), or when its nonce was seen before (a replay). Nonces
 * are remembered only while they could still be valid, so the cache stays bounded; when it is full,
 * new commands are refused rather than risk accepting a replay.
 *
 * The gateway keeps one of these, in its command gate (gateway/commands/gate.ts), so a nonce spent
 * on one path is spent on all; a device checking the commands it receives can keep its own.
 */

export const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

export type VerifyFailure = "bad_envelope" | "expired" | "replayed" | "replay_cache_full";

export type VerifyResult =
  | { ok: true; command: Record<string, unknown>; nonce: string; expiresAt: number }
  | { ok: false; reason: VerifyFailure; detail: string };

export interface VerifierOptions {
  maxTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/** Adds a fresh nonce and an expiry to a command, for whoever sends one. */
export function sealCommand<T extends Record<string, unknown>>(command: T, ttlMs = 60_000, now = Date.now()): T & { nonce: string; expiresAt: number } {
  return { ...command, nonce: randomBytes(16).toString("base64url"), expiresAt: now + ttlMs };
}

export class CommandVerifier {
  readonly maxTtlMs: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  /** nonce -> time it can be forgotten; insertion order is forget order (keepUntil = seen + maxTtl) */
  readonly #seen = new Map<string, number>();

  constructor(options: VerifierOptions = {}) {
    this.maxTtlMs = options.maxTtlMs ?? 5 * 60_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Checks and consumes the envelope: the same nonce verifies once. Returns the command without it. */
  verify(message: unknown): VerifyResult {
    if (message === null || typeof message !== "object" || Array.isArray(message)) return { ok: false, reason: "bad_envelope", detail: "a command must be a JSON object" };
    const { nonce, expiresAt, ...command } = message as Record<string, unknown>;
    if (typeof nonce !== "string" || !NONCE.test(nonce)) return { ok: false, reason: "bad_envelope", detail: "nonce: 16-128 characters of A-Z a-z 0-9 _ - required" };
    if (typeof expiresAt !== "number" || !Number.isSafeInteger(expiresAt)) return { ok: false, reason: "bad_envelope", detail: "expiresAt: epoch milliseconds required" };
    const now = this.#now();
    if (now > expiresAt) return { ok: false, reason: "expired", detail: `expired ${now - expiresAt} ms ago` };
    if (expiresAt - now > this.maxTtlMs) return { ok: false, reason: "bad_envelope", detail: `expiresAt is more than ${this.maxTtlMs} ms ahead` };
    this.#forget(now);
    if (this.#seen.has(nonce)) return { ok: false, reason: "replayed", detail: "nonce already used" };
    if (this.#seen.size >= this.maxEntries) return { ok: false, reason: "replay_cache_full", detail: `${this.maxEntries} nonces in use` };
    this.#seen.set(nonce, now + this.maxTtlMs);
    return { ok: true, command, nonce, expiresAt };
  }

  #forget(now: number): void {
    for (const [nonce, keepUntil] of this.#seen) {
      if (keepUntil >= now) break;
      this.#seen.delete(nonce);
    }
  }
}
