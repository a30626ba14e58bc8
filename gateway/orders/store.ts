import Database from "better-sqlite3";
import type { Alert } from "../alerts/types.ts";
import { openDatabase } from "../storage/open-database.ts";
import { GENESIS, recordHash } from "./chain.ts";
import type { OrderEvent, OrderRecord, WorkOrder } from "./types.ts";

interface RecordRow {
  seq: number;
  order_id: string;
  at: number;
  by: string;
  event: OrderEvent;
  data: string;
  prev_hash: string;
  hash: string;
}

const fromRow = (r: RecordRow): OrderRecord => ({ seq: r.seq, orderId: r.order_id, at: r.at, by: r.by, event: r.event, data: JSON.parse(r.data) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash });

/**
 * Work orders in SQLite under the data dir: one row per order (its current state, as JSON), the
 * append-only record chain of everything that happened to them, and the open alerts they can be
 * made from. Triggers refuse UPDATE and DELETE
 * on the records, so only someone editing the file by hand can change one, and `linli orders
 * verify` then finds it.
 */
export class OrderStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = openDatabase(file, {
      store: "orders",
      tables: {
        orders: ["id", "state", "assignee", "due_at", "created_at", "body"],
        order_records: ["seq", "order_id", "at", "by", "event", "data", "prev_hash", "hash"],
        open_alerts: ["id", "last_at", "body"],
      },
    });
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS orders (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        assignee TEXT,
        due_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS orders_assignee ON orders (assignee, created_at);
      CREATE INDEX IF NOT EXISTS orders_state ON orders (state, due_at);
      CREATE TABLE IF NOT EXISTS order_records (
        seq INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        by TEXT NOT NULL,
        event TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS order_records_order ON order_records (order_id, seq);
      CREATE TABLE IF NOT EXISTS open_alerts (
        id TEXT PRIMARY KEY,
        last_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE TRIGGER IF NOT EXISTS order_records_no_update BEFORE UPDATE ON order_records BEGIN SELECT RAISE(ABORT, 'order records are append-only'); END;
      CREATE TRIGGER IF NOT EXISTS order_records_no_delete BEFORE DELETE ON order_records BEGIN SELECT RAISE(ABORT, 'order records are append-only'); END;
    `);
  }

  /** Appends a record to the chain and saves the order as it now is, in one transaction; returns the record. */
  append(order: WorkOrder, entry: { at: number; by: string; event: OrderEvent; data: Record<string, unknown> }): OrderRecord {
    return this.#db.transaction(() => {
      const last = this.#db.prepare("SELECT seq, hash FROM order_records ORDER BY seq DESC LIMIT 1").get() as { seq: number; hash: string } | undefined;
      const partial = { seq: (last?.seq ?? 0) + 1, orderId: order.id, ...entry, prevHash: last?.hash ?? GENESIS };
      const record: OrderRecord = { ...partial, hash: recordHash(partial) };
      this.#db
        .prepare("INSERT INTO order_records (seq, order_id, at, by, event, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .run(record.seq, record.orderId, record.at, record.by, record.event, JSON.stringify(record.data), record.prevHash, record.hash);
      order.version = record.seq;
      this.#db
        .prepare(
          "INSERT INTO orders (id, state, assignee, due_at, created_at, body) VALUES (@id, @state, @assignee, @dueAt, @createdAt, @body) " +
            "ON CONFLICT(id) DO UPDATE SET state = excluded.state, assignee = excluded.assignee, due_at = excluded.due_at, body = excluded.body",
        )
        .run({ id: order.id, state: order.state, assignee: order.assignee ?? null, dueAt: order.dueAt, createdAt: order.createdAt, body: JSON.stringify(order) });
      return record;
    })();
  }

  get(id: string): WorkOrder | undefined {
    const row = this.#db.prepare("SELECT body FROM orders WHERE id = ?").get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as WorkOrder) : undefined;
  }

  /** Orders newest first; only one assignee's when given. */
  list(assignee?: string, limit = 200): WorkOrder[] {
    const rows = (assignee === undefined
      ? this.#db.prepare("SELECT body FROM orders ORDER BY created_at DESC LIMIT ?").all(limit)
      : this.#db.prepare("SELECT body FROM orders WHERE assignee = ? ORDER BY created_at DESC LIMIT ?").all(assignee, limit)) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as WorkOrder);
  }

  /** Orders still being worked on whose due time has passed. */
  overdue(now: number): WorkOrder[] {
    const rows = this.#db.prepare("SELECT body FROM orders WHERE state IN ('open', 'assigned', 'accepted', 'in_progress') AND due_at <= ?").all(now) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as WorkOrder);
  }

  /** The order made from an alert, if one was. */
  byAlert(alertId: string): WorkOrder | undefined {
    const row = this.#db.prepare("SELECT body FROM orders WHERE json_extract(body, '$.alertId') = ? LIMIT 1").get(alertId) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as WorkOrder) : undefined;
  }

  history(orderId: string): OrderRecord[] {
    return (this.#db.prepare("SELECT * FROM order_records WHERE order_id = ? ORDER BY seq").all(orderId) as RecordRow[]).map(fromRow);
  }

  /** Every record in chain order, read lazily (a long chain is not held in memory). */
  *records(): Generator<OrderRecord> {
    for (const row of this.#db.prepare("SELECT * FROM order_records ORDER BY seq").iterate() as Iterable<RecordRow>) yield fromRow(row);
  }

  /** Each order's last record, as the orders table says. */
  heads(): Array<{ orderId: string; version: number }> {
    return (this.#db.prepare("SELECT body FROM orders").all() as Array<{ body: string }>).map((r) => {
      const o = JSON.parse(r.body) as WorkOrder;
      return { orderId: o.id, version: o.version };
    });
  }

  /**
   * The unresolved alerts as the bus reported them, kept here so "create from alert" still offers
   * an alert opened before a restart (the alerts feature does not announce those again).
   */
  noteAlert(alert: Alert): void {
    if (alert.state === "resolved") this.#db.prepare("DELETE FROM open_alerts WHERE id = ?").run(alert.id);
    else this.#db.prepare("INSERT OR REPLACE INTO open_alerts (id, last_at, body) VALUES (?, ?, ?)").run(alert.id, alert.lastAt, JSON.stringify(alert));
  }

  /** Unresolved alerts, newest first. */
  openAlerts(): Alert[] {
    return (this.#db.prepare("SELECT body FROM open_alerts ORDER BY last_at DESC").all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Alert);
  }

  close(): void {
    this.#db.close();
  }
}
