import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashes. The registry keeps two verifiers of each generated secret: our own scrypt hash
 * (what the embedded broker checks) and Mosquitto 2's `$7$` PBKDF2-SHA512 hash (what
 * `linli devices export-acl` writes to a Mosquitto password file). The secret itself is never stored.
 */

/** scrypt$<N>$<r>$<p>$<salt base64>$<hash base64> */
const SCRYPT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;
/** $7$<iterations>$<salt base64>$<hash base64>, as mosquitto_passwd writes it */
const MOSQUITTO = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** 2^14, 8, 1: about 50 ms and 16 MiB per check, on the libuv pool (never the event loop). */
export const DEFAULT_SCRYPT: ScryptCost = { N: 16_384, r: 8, p: 1 };
/** Mosquitto 2.0's own default is 101; secrets here are 128-bit random, so this is about the file, not guessing. */
export const DEFAULT_PBKDF2_ITERATIONS = 1_000;

function scryptAsync(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, keylen, { ...options, maxmem: 256 * options.N! * options.r! }, (err, key) => (err ? reject(err) : resolve(key))));
}

function pbkdf2Async(secret: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(secret, salt, iterations, 64, "sha512", (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(secret: string, cost: ScryptCost = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, 32, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** True when `secret` matches; false for a wrong secret or a hash we cannot read. Constant-time compare. */
export async function verifyPassword(secret: string, stored: string): Promise<boolean> {
  const m = SCRYPT.exec(stored);
  if (!m) return false;
  const [, n, r, p, salt, hash] = m as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64");
  const N = Number(n);
  if (expected.length < 16 || N > 1 << 20 || Number(r) > 32 || Number(p) > 16) return false;
  const key = await scryptAsync(secret, Buffer.from(salt, "base64"), expected.length, { N, r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

export async function mosquittoHash(secret: string, iterations = DEFAULT_PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(12);
  const key = await pbkdf2Async(secret, salt, iterations);
  return `$7$${iterations}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyMosquittoHash(secret: string, stored: string): Promise<boolean> {
  const m = MOSQUITTO.exec(stored);
  if (!m) return false;
  const [, iterations, salt, hash] = m as unknown as [string, string, string, string];
  const expected = Buffer.from(hash, "base64");
  const key = await pbkdf2Async(secret, Buffer.from(salt, "base64"), Number(iterations));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export function isScryptHash(value: string): boolean {
  return SCRYPT.test(value);
}

export function isMosquittoHash(value: string): boolean {
  return MOSQUITTO.test(value);
}

/** A new device secret: 128 random bits, URL-safe, shown once by `linli devices add`. */
export function generateSecret(): string {
  return randomBytes(16).toString("base64url");
}

/** `AB:CD:...`, `abcd...` or `sha256:...` -> lower-case hex without separators. */
export function normaliseFingerprint(value: string): string {
  return value.replace(/^sha256:/i, "").replace(/:/g, "").toLowerCase();
}

/** The SHA-256 fingerprint of a DER certificate, as the registry stores it. */
export function certificateFingerprint(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex");
}
