import { randomBytes } from "node:crypto";
import { hashPassword as scryptHash } from "../security/password.ts";
import type { StaffRole } from "../staff/desk.ts";

/**
 * Console passwords use the project's one scrypt format (`scrypt$N$r$p$<salt>$<hash>`, the same as
 * device secrets): `linli console hash-password` prints one for `alerts.console.accounts[].passwordHash`.
 */
export { hashPassword, verifyPassword } from "../security/password.ts";

export interface Session {
  token: string;
  user: string;
  displayName: string;
  role: StaffRole;
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

  create(user: string, displayName: string, role: StaffRole = "guard"): Session {
    this.#sweep();
    const now = this.now();
    const session = { token: randomBytes(32).toString("base64url"), user, displayName, role, createdAt: now, expiresAt: now + this.ttlMs };
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

/**
 * A throw-away console account for `linli demo` when the config has none: a random password to
 * print once at start, and its hash for `alerts.console.accounts`.
 */
export async function demoAccount(user = "demo"): Promise<{ user: string; password: string; passwordHash: string; displayName: string; role: StaffRole }> {
  const password = randomBytes(9).toString("base64url");
  // the demo's one account does everything, labelling and promoting included
  return { user, password, passwordHash: await scryptHash(password), displayName: "演示值班员", role: "administrator" };
}
