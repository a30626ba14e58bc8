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

/** Where sessions outlive the process (gateway/console/console-db.ts), and who an account is now. */
export interface SessionBacking {
  saveSession(token: string, s: { user: string; createdAt: number; expiresAt: number }): void;
  session(token: string): { user: string; createdAt: number; expiresAt: number } | undefined;
  endSession(token: string): void;
  sweepSessions(now: number): void;
  /** the account's current name and role; undefined once it was removed */
  identity(user: string): { displayName: string; role: StaffRole } | undefined;
}

/**
 * Console sessions: random tokens, each expiring a fixed time after login, held in memory and,
 * with a backing, on disk too so a restart keeps them. With a backing, a session's role and name
 * are the account's as they are now: a changed role applies at once, a removed account is signed out.
 */
export class Sessions {
  readonly #byToken = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly backing?: SessionBacking,
  ) {}

  create(user: string, displayName: string, role: StaffRole = "guard"): Session {
    this.#sweep();
    const now = this.now();
    const session = { token: randomBytes(32).toString("base64url"), user, displayName, role, createdAt: now, expiresAt: now + this.ttlMs };
    this.#byToken.set(session.token, session);
    this.backing?.saveSession(session.token, session);
    return session;
  }

  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.#byToken.get(token) ?? this.#restore(token);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.end(token);
      return undefined;
    }
    if (!this.backing) return s;
    const who = this.backing.identity(s.user);
    if (!who) {
      this.end(token);
      return undefined;
    }
    s.displayName = who.displayName;
    s.role = who.role;
    return s;
  }

  end(token: string | undefined): void {
    if (!token) return;
    this.#byToken.delete(token);
    this.backing?.endSession(token);
  }

  /** A session from before a restart. */
  #restore(token: string): Session | undefined {
    const stored = this.backing?.session(token);
    const who = stored && this.backing?.identity(stored.user);
    if (!stored || !who) return undefined;
    const session = { token, user: stored.user, createdAt: stored.createdAt, expiresAt: stored.expiresAt, ...who };
    this.#byToken.set(token, session);
    return session;
  }

  #sweep(): void {
    const now = this.now();
    for (const [t, s] of this.#byToken) if (s.expiresAt <= now) this.#byToken.delete(t);
    this.backing?.sweepSessions(now);
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
