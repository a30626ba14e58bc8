import Database from "better-sqlite3";
import type { Point } from "./point.ts";

export interface SpooledBatch {
  /** id of the last row, for `remove` */
  upTo: number;
  points: Point[];
}

/**
 * The durable queue between the writer and InfluxDB: every batch is committed here before it is
 * sent and removed only once InfluxDB took it, so an outage or a `kill -9` loses nothing that
 * reached the spool. Rows are replayed in insertion order. Past `maxBytes`, the oldest rows go.
 */
export class Spool {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[number, string]>;
  #bytes: number;
  #count: number;

  constructor(
    file: string,
    readonly maxBytes: number,
  ) {
    this.#db = new Database(file);
    this.#db.pragma("journal_mode = WAL");
    // A process crash cannot lose a committed WAL transaction with NORMAL; only a power cut can.
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec("CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, bytes INTEGER NOT NULL, point TEXT NOT NULL)");
    this.#insert = this.#db.prepare("INSERT INTO spool (bytes, point) VALUES (?, ?)");
    const row = this.#db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool").get() as { n: number; b: number };
    this.#count = row.n;
    this.#bytes = row.b;
  }

  get size(): { points: number; bytes: number } {
    return { points: this.#count, bytes: this.#bytes };
  }

  /** Appends points in one transaction; returns how many old points were dropped to stay in bounds. */
  append(points: readonly Point[]): number {
    if (points.length === 0) return 0;
    this.#db.transaction(() => {
      for (const p of points) {
        const text = JSON.stringify(p);
        this.#insert.run(Buffer.byteLength(text), text);
        this.#bytes += Buffer.byteLength(text);
      }
    })();
    this.#count += points.length;
    return this.#bytes > this.maxBytes ? this.#dropOldest() : 0;
  }

  #dropOldest(): number {
    const target = this.maxBytes * 0.9;
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
