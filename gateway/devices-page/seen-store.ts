import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";

export const devicesSeenFile = (dataDir: string) => join(dataDir, "devices", "seen.db");

export interface Seen {
  kind: string;
  id: string;
  lastSeenAt: number;
}

/**
 * When each device was last heard, kept across restarts: the page still says "last heard three
 * days ago" of a dead device, and a device that died while the gateway was down is marked offline
 * (and its availability topic corrected) once its limit has passed after the start.
 */
export class SeenStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#db = openDatabase(file, { store: "devices", tables: { seen: ["kind", "id", "last_seen_at"] } });
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec("CREATE TABLE IF NOT EXISTS seen (kind TEXT NOT NULL, id TEXT NOT NULL, last_seen_at INTEGER NOT NULL, PRIMARY KEY (kind, id))");
  }

  all(): Seen[] {
    return (this.#db.prepare("SELECT kind, id, last_seen_at AS lastSeenAt FROM seen").all() as Seen[]);
  }

  save(entries: readonly Seen[]): void {
    const upsert = this.#db.prepare("INSERT INTO seen (kind, id, last_seen_at) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET last_seen_at = excluded.last_seen_at");
    this.#db.transaction(() => {
      for (const e of entries) upsert.run(e.kind, e.id, e.lastSeenAt);
    })();
  }

  close(): void {
    this.#db.close();
  }
}
