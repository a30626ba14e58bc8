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
  /** the rows' bytes, for `remove` */
  bytes: number;
}

/**
 * The durable queue between the writer and InfluxDB: every batch is committed here before it is
 * sent and removed only once InfluxDB took it, so an outage or a `kill -9` loses nothing that
 * reached the spool. Rows are replayed in insertion order. Past `maxBytes`, `whenFull` decides.
 *
 * A row holds the points of one append (up to `rowPoints`), as a JSON array: one insert per group
 * commit rather than one per point, which was most of the spool's cost per message. The rows live
 * in `batches`; a spool of an earlier version (`spool`, one point a row) is moved into it when
 * opened, and left empty, so that going back to that version finds no row it would misread.
 */
export class Spool {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[number, number, string]>;
  readonly #peek: Database.Statement<[]>;
  readonly #delete: Database.Statement<[number]>;
  #bytes: number;
  #count: number;

  constructor(
    file: string,
    private readonly options: SpoolOptions,
  ) {
    this.#db = openDatabase(file, { store: "spool", tables: { spool: ["id", "bytes", "point"], batches: ["id", "points", "bytes", "body"] } });
    this.#db.pragma("journal_mode = WAL");
    // WAL with FULL syncs the log on every commit, so an acknowledged message survives a power cut;
    // with NORMAL a committed transaction survives a crash of the process but not of the machine.
    this.#db.pragma(`synchronous = ${options.sync === "full" ? "FULL" : "NORMAL"}`);
    this.#db.exec("CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, points INTEGER NOT NULL, bytes INTEGER NOT NULL, body TEXT NOT NULL)");
    this.#moveOneRowPerPointSpool();
    this.#insert = this.#db.prepare("INSERT INTO batches (points, bytes, body) VALUES (?, ?, ?)");
    this.#peek = this.#db.prepare("SELECT id, points, bytes, body FROM batches ORDER BY id");
    this.#delete = this.#db.prepare("DELETE FROM batches WHERE id <= ?");
    const row = this.#db.prepare("SELECT COALESCE(SUM(points), 0) AS n, COALESCE(SUM(bytes), 0) AS b FROM batches").get() as { n: number; b: number };
    this.#count = row.n;
    this.#bytes = row.b;
  }

  /** The `spool` table of earlier versions: its rows, in order, as rows of one point here. */
  #moveOneRowPerPointSpool(): void {
    const old = this.#db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'spool'").get() as { n: number };
    if (old.n === 0) return;
    this.#db.transaction(() => {
      this.#db.exec("INSERT INTO batches (points, bytes, body) SELECT 1, bytes + 2, '[' || point || ']' FROM spool ORDER BY id");
      this.#db.exec("DELETE FROM spool");
    })();
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
   * Appends points in one transaction, committed (and synced) when this returns, in rows of at most
   * `rowPoints` (the writer's batch size, so that a batch is whole rows); returns how many old
   * points were dropped to stay in bounds. Throws SpoolFullError (refuseNew) or the SQLite error
   * (disk full, file unwritable) with nothing of `points` written.
   */
  append(points: readonly Point[], rowPoints = 1000): number {
    if (points.length === 0) return 0;
    const step = Math.max(1, rowPoints);
    const rows: Array<{ points: number; bytes: number; body: string }> = [];
    let bytes = 0;
    for (let i = 0; i < points.length; i += step) {
      const part = points.length <= step ? points : points.slice(i, i + step);
      const body = JSON.stringify(part);
      const size = Buffer.byteLength(body);
      rows.push({ points: part.length, bytes: size, body });
      bytes += size;
    }
    if (this.options.whenFull === "refuseNew" && this.#bytes + bytes > this.options.maxBytes) throw new SpoolFullError(this.#bytes, this.options.maxBytes);
    this.#db.transaction(() => {
      for (const r of rows) this.#insert.run(r.points, r.bytes, r.body);
    })();
    this.#bytes += bytes;
    this.#count += points.length;
    return this.#bytes > this.options.maxBytes ? this.#dropOldest() : 0;
  }

  #dropOldest(): number {
    const target = this.options.maxBytes * 0.9;
    let dropped = 0;
    const rows = this.#db.prepare("SELECT id, points, bytes FROM batches ORDER BY id").iterate() as IterableIterator<{ id: number; points: number; bytes: number }>;
    let freed = 0;
    let lastId = 0;
    for (const r of rows) {
      if (this.#bytes - freed <= target) break;
      freed += r.bytes;
      lastId = r.id;
      dropped += r.points;
    }
    if (dropped > 0) this.remove(lastId, dropped, freed);
    return dropped;
  }

  /** The oldest points, in order: whole rows, as many as fit in `limit` (at least one row). */
  peek(limit: number): SpooledBatch | undefined {
    const points: Point[] = [];
    let upTo: number | undefined;
    let bytes = 0;
    for (const r of this.#peek.iterate() as IterableIterator<{ id: number; points: number; bytes: number; body: string }>) {
      if (upTo !== undefined && points.length + r.points > limit) break;
      for (const p of JSON.parse(r.body) as Point[]) points.push(p);
      upTo = r.id;
      bytes += r.bytes;
      if (points.length >= limit) break;
    }
    return upTo === undefined ? undefined : { upTo, points, bytes };
  }

  /** Removes every row up to and including `upTo`. */
  remove(upTo: number, knownCount?: number, knownBytes?: number): void {
    let count = knownCount;
    let bytes = knownBytes;
    if (count === undefined || bytes === undefined) {
      const row = this.#db.prepare("SELECT COALESCE(SUM(points), 0) AS n, COALESCE(SUM(bytes), 0) AS b FROM batches WHERE id <= ?").get(upTo) as { n: number; b: number };
      count = row.n;
      bytes = row.b;
    }
    // not synced on its own: a removal lost to a power cut only sends points InfluxDB holds already
    // again, to the same series and nanosecond (stamp.ts), where they are the same points; the next
    // synced commit, an append, carries it to disk anyway
    if (this.options.sync === "full") this.#db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.#delete.run(upTo);
    } finally {
      if (this.options.sync === "full") this.#db.exec("PRAGMA synchronous = FULL");
    }
    this.#count -= count;
    this.#bytes -= bytes;
  }

  close(): void {
    this.#db.close();
  }
}
