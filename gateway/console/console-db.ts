import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";
import type { StaffRole } from "../staff/roles.ts";

export interface StoredAccount {
  user: string;
  passwordHash: string;
  displayName: string;
  role: StaffRole;
  createdAt: number;
}

export interface StoredSession {
  user: string;
  createdAt: number;
  expiresAt: number;
}

/** Sessions are kept under the SHA-256 of their token, so a copy of the file cannot sign anybody in. */
const tokenKey = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * The console's accounts managed at run time (`linli console users`, the accounts page) and its
 * sessions, in SQLite under the data dir (`console/console.db`), so a restart signs nobody out.
 * Accounts in linli.yaml stay where they are; these come after them.
 */
export class ConsoleDb {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = openDatabase(file, {
      store: "console",
      tables: {
        accounts: ["user", "password_hash", "display_name", "role", "created_at"],
        sessions: ["token_sha256", "user", "created_at", "expires_at"],
      },
    });
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS accounts (
        user TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS sessions (
        token_sha256 TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `);
  }

  accounts(): StoredAccount[] {
    const rows = this.#db.prepare("SELECT user, password_hash, display_name, role, created_at FROM accounts ORDER BY user").all() as Array<{
      user: string;
      password_hash: string;
      display_name: string;
      role: StaffRole;
      created_at: number;
    }>;
    return rows.map((r) => ({ user: r.user, passwordHash: r.password_hash, displayName: r.display_name, role: r.role, createdAt: r.created_at }));
  }

  account(user: string): StoredAccount | undefined {
    return this.accounts().find((a) => a.user === user);
  }

  /** Adds an account; false when the user name is taken. */
  addAccount(a: Omit<StoredAccount, "createdAt">, now = Date.now()): boolean {
    return this.#db.prepare("INSERT OR IGNORE INTO accounts (user, password_hash, display_name, role, created_at) VALUES (?, ?, ?, ?, ?)").run(a.user, a.passwordHash, a.displayName, a.role, now).changes === 1;
  }

  setRole(user: string, role: StaffRole): boolean {
    return this.#db.prepare("UPDATE accounts SET role = ? WHERE user = ?").run(role, user).changes === 1;
  }

  /** Removes an account and signs it out everywhere. */
  removeAccount(user: string): boolean {
    return this.#db.transaction(() => {
      this.#db.prepare("DELETE FROM sessions WHERE user = ?").run(user);
      return this.#db.prepare("DELETE FROM accounts WHERE user = ?").run(user).changes === 1;
    })();
  }

  saveSession(token: string, s: StoredSession): void {
    this.#db.prepare("INSERT OR REPLACE INTO sessions (token_sha256, user, created_at, expires_at) VALUES (?, ?, ?, ?)").run(tokenKey(token), s.user, s.createdAt, s.expiresAt);
  }

  session(token: string): StoredSession | undefined {
    const row = this.#db.prepare("SELECT user, created_at, expires_at FROM sessions WHERE token_sha256 = ?").get(tokenKey(token)) as { user: string; created_at: number; expires_at: number } | undefined;
    return row ? { user: row.user, createdAt: row.created_at, expiresAt: row.expires_at } : undefined;
  }

  endSession(token: string): void {
    this.#db.prepare("DELETE FROM sessions WHERE token_sha256 = ?").run(tokenKey(token));
  }

  sweepSessions(now: number): void {
    this.#db.prepare("DELETE FROM sessions WHERE expires_at <= ?").run(now);
  }

  close(): void {
    this.#db.close();
  }
}
