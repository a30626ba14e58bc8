import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

const KEYLEN = 32;

/** `scrypt$N$r$p$<salt b64>$<hash b64>`: what goes into `alerts.console.accounts[].passwordHash`. */
export async function hashPassword(password: string, cost = { N: 16_384, r: 8, p: 1 }): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { ...cost, maxmem: 128 * cost.N * cost.r * 2 });
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const N = Number(n);
  const R = Number(r);
  const expected = Buffer.from(hash, "base64");
  if (expected.length === 0) return false;
  const key = await scrypt(password, Buffer.from(salt, "base64"), expected.length, { N, r: R, p: Number(p), maxmem: 128 * N * R * 2 });
  return timingSafeEqual(key, expected);
}

export interface Session {
  token: string;
  user: string;
  displayName: string;
  createdAt: number;
  expiresAt: number;
}

/** Console sessions: random tokens held in memory, each expiring a fixed time after login. */
export class Sessions {
  readonly #byToken = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: string, displayName: string): Session {
    this.#sweep();
    const now = this.now();
    const session = { token: randomBytes(32).toString("base64url"), user, displayName, createdAt: now, expiresAt: now + this.ttlMs };
    this.#byToken.set(session.token, session);
    return session;
  }

  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.#byToken.get(token);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.#byToken.delete(token);
      return undefined;
    }
    return s;
  }

  end(token: string | undefined): void {
    if (token) this.#byToken.delete(token);
  }

  #sweep(): void {
    const now = this.now();
    for (const [t, s] of this.#byToken) if (s.expiresAt <= now) this.#byToken.delete(t);
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed cookie is ignored
    }
  }
  return out;
}
