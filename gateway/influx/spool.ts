import Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";
import type { Point } from "./point.ts";

/** What happens to a new point past `maxBytes`. */
export type WhenFull = "dropOldest" | "refuseNew";

export interface SpoolOptions {
  maxBytes: number;
  /**
   * dropOldest: the newest data wins and the oldest spooled points are dropped (counted); nothing
   * is ever refused, so QoS 1 devices are always acknowledged. refuseNew: nothing spooled is ever
   * dropped; new points are refused, so QoS 1 messages go unacknowledged (the devices keep and
   * resend them) until the drain to InfluxDB makes room.
   */
  whenFull: WhenFull;
  /** full: a commit survives a power cut (fsync); normal: it survives a crash of the process only */
  sync: "full" | "normal";
}

/** The spool refused new points (refuseNew, full): nothing of them was written. */
export class SpoolFullError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`spool full: ${bytes} bytes spooled, bound ${maxBytes} (spool.whenFull: refuseNew)`);
  }
}

export interface SpooledBatch {
  /** id of the last row, for `remove` */
  upTo: number;
  points: Point[];
}

/**
 * The durable queue between the writer and InfluxDB: every batch is committed here before it is
 * sent and removed only once InfluxDB took it, so an outage or a `kill -9` loses nothing that
 * reached the spool. Rows are replayed in insertion order. Past `maxBytes`, `whenFull` decides.
 */
export class Spool {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[number, string]>;
  #bytes: number;
  #count: number;

  constructor(
    file: string,
    private readonly options: SpoolOptions,
  ) {
    this.#db = openDatabase(file, { store: "spool", tables: { spool: ["id", "bytes", "point"] } });
    this.#db.pragma("journal_mode = WAL");
    // WAL with FULL syncs the log on every commit, so an acknowledged message survives a power cut;
    // with NORMAL a committed transaction survives a crash of the process but not of the machine.
    this.#db.pragma(`synchronous = ${options.sync === "full" ? "FULL" : "NORMAL"}`);
    this.#db.exec("CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, bytes INTEGER NOT NULL, point TEXT NOT NULL)");
    this.#insert = this.#db.prepare("INSERT INTO spool (bytes, point) VALUES (?, ?)");
    const row = this.#db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool").get() as { n: number; b: number };
    this.#count = row.n;
    this.#bytes = row.b;
  }

  get size(): { points: number; bytes: number } {
    return { points: this.#count, bytes: this.#bytes };
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  get whenFull(): WhenFull {
    return this.options.whenFull;
  }

  /**
   * Appends points in one transaction, committed (and synced) when this returns; returns how many
   * old points were dropped to stay in bounds. Throws SpoolFullError (refuseNew) or the SQLite
   * error (disk full, file unwritable) with nothing of `points` written.
   */
  append(points: readonly Point[]): number {
    if (points.length === 0) return 0;
    const rows = points.map((p) => JSON.stringify(p));
    let bytes = 0;
    for (const text of rows) bytes += Buffer.byteLength(text);
    if (this.options.whenFull === "refuseNew" && this.#bytes + bytes > this.options.maxBytes) throw new SpoolFullError(this.#bytes, this.options.maxBytes);
    this.#db.transaction(() => {
      for (const text of rows) this.#insert.run(Buffer.byteLength(text), text);
    })();
    this.#bytes += bytes;
    this.#count += points.length;
    return this.#bytes > this.options.maxBytes ? this.#dropOldest() : 0;
  }

  #dropOldest(): number {
    const target = this.options.maxBytes * 0.9;
    let dropped = 0;
    const rows = this.#db.prepare("SELECT id, bytes FROM spool ORDER BY id").iterate() as IterableIterator<{ id: number; bytes: number }>;
    let freed = 0;
    let lastId = 0;
    for (const r of rows) {
      if (this.#bytes - freed <= target) break;
      freed += r.bytes;
      lastId = r.id;
      dropped++;
    }
    if (dropped > 0) this.remove(lastId, dropped, freed);
    return dropped;
  }

  /** The oldest `limit` points, in order. */
  peek(limit: number): SpooledBatch | undefined {
    const rows = this.#db.prepare("SELECT id, point FROM spool ORDER BY id LIMIT ?").all(limit) as { id: number; point: string }[];
    const last = rows.at(-1);
    if (!last) return undefined;
    return { upTo: last.id, points: rows.map((r) => JSON.parse(r.point) as Point) };
  }

  /** Removes every row up to and including `upTo`. */
  remove(upTo: number, knownCount?: number, knownBytes?: number): void {
    let count = knownCount;
    let bytes = knownBytes;
    if (count === undefined || bytes === undefined) {
      const row = this.#db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool WHERE id <= ?").get(upTo) as { n: number; b: number };
      count = row.n;
      bytes = row.b;
    }
    this.#db.prepare("DELETE FROM spool WHERE id <= ?").run(upTo);
    this.#count -= count;
    this.#bytes -= bytes;
  }

  close(): void {
    this.#db.close();
  }
}
