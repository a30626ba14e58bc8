import Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";
import type { Alert, AlertEventKind } from "./types.ts";

/** What an alert's audit trail records: its changes, and the legal hold steps taken on it. */
export type LogEvent = AlertEventKind | "held" | "released";

export interface LogEntry {
  alertId: string;
  at: number;
  event: LogEvent;
  by?: string;
  note?: string;
}

/** A device whose alerts are kept but not sent, until `until` (epoch ms); `by` and `at`: who set it, when. */
export interface Mute {
  device: string;
  until: number;
  by: string;
  at: number;
  note: string;
}

/** A device event an alert was raised from (a throw's track, say), as it arrived. */
export interface SourceEvent {
  alertId: string;
  at: number;
  event: unknown;
}

/** a repeating alert keeps its first events and its latest; a flapping device must not fill the disk */
const MAX_SOURCES = 50;

/**
 * Alerts and their audit trail in SQLite under the data dir, so open alerts, their escalation
 * clocks and who handled what survive a restart. Each alert is one row: indexed columns for the
 * queries, the whole alert as JSON.
 */
export class AlertStore {
  readonly #db: Database.Database;
  readonly #put: Database.Statement;
  readonly #log: Database.Statement;

  constructor(file: string) {
    this.#db = openDatabase(file, {
      store: "alerts",
      tables: {
        alerts: ["id", "dedup_key", "state", "created_at", "last_at", "body"],
        alert_log: ["seq", "alert_id", "at", "event", "by", "note"],
        last_seen: ["kind", "device", "site", "at"],
        mutes: ["device", "until", "by", "at", "note"],
        alert_sources: ["seq", "alert_id", "at", "event"],
        held_alerts: ["alert_id", "at"],
        alert_orders: ["order_id", "alert_id", "body", "records"],
      },
    });
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY,
        dedup_key TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS alerts_key ON alerts (dedup_key, state);
      CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, last_at);
      CREATE INDEX IF NOT EXISTS alerts_last ON alerts (last_at);
      CREATE TABLE IF NOT EXISTS alert_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        by TEXT,
        note TEXT
      );
      CREATE INDEX IF NOT EXISTS alert_log_id ON alert_log (alert_id, seq);
      CREATE TABLE IF NOT EXISTS last_seen (
        kind TEXT NOT NULL,
        device TEXT NOT NULL,
        site TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (kind, device)
      );
      CREATE TABLE IF NOT EXISTS mutes (
        device TEXT PRIMARY KEY,
        until INTEGER NOT NULL,
        by TEXT NOT NULL,
        at INTEGER NOT NULL,
        note TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS alert_sources (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        event TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS alert_sources_id ON alert_sources (alert_id, seq);
      CREATE TABLE IF NOT EXISTS alert_orders (
        order_id TEXT PRIMARY KEY,
        alert_id TEXT NOT NULL,
        body TEXT NOT NULL,
        records TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS alert_orders_alert ON alert_orders (alert_id);
      CREATE TABLE IF NOT EXISTS held_alerts (
        alert_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL
      );
    `);
    this.#put = this.#db.prepare(
      "INSERT INTO alerts (id, dedup_key, state, created_at, last_at, body) VALUES (@id, @dedupKey, @state, @createdAt, @lastAt, @body) " +
        "ON CONFLICT(id) DO UPDATE SET state = excluded.state, last_at = excluded.last_at, body = excluded.body",
    );
    this.#log = this.#db.prepare("INSERT INTO alert_log (alert_id, at, event, by, note) VALUES (?, ?, ?, ?, ?)");
  }

  /** Saves the alert and appends to its audit trail in one transaction. */
  save(alert: Alert, entry: LogEntry): void {
    this.#db.transaction(() => {
      this.#put.run({ id: alert.id, dedupKey: alert.dedupKey, state: alert.state, createdAt: alert.createdAt, lastAt: alert.lastAt, body: JSON.stringify(alert) });
      this.#log.run(entry.alertId, entry.at, entry.event, entry.by ?? null, entry.note ?? null);
    })();
  }

  /** Appends to an alert's audit trail without changing it (a legal hold step). */
  append(entry: LogEntry): void {
    this.#log.run(entry.alertId, entry.at, entry.event, entry.by ?? null, entry.note ?? null);
  }

  /** Keeps the device event an alert was raised or re-fired from; past the cap, the one before the latest is dropped. */
  saveSource(alertId: string, at: number, event: unknown): void {
    this.#db.transaction(() => {
      this.#db.prepare("INSERT INTO alert_sources (alert_id, at, event) VALUES (?, ?, ?)").run(alertId, at, JSON.stringify(event));
      const { n } = this.#db.prepare("SELECT COUNT(*) AS n FROM alert_sources WHERE alert_id = ?").get(alertId) as { n: number };
      if (n > MAX_SOURCES) this.#db.prepare("DELETE FROM alert_sources WHERE seq = (SELECT seq FROM alert_sources WHERE alert_id = ? ORDER BY seq DESC LIMIT 1 OFFSET 1)").run(alertId);
    })();
  }

  sources(alertId: string): SourceEvent[] {
    const rows = this.#db.prepare("SELECT at, event FROM alert_sources WHERE alert_id = ? ORDER BY seq").all(alertId) as Array<{ at: number; event: string }>;
    return rows.map((r) => ({ alertId, at: r.at, event: JSON.parse(r.event) as unknown }));
  }

  /**
   * Keeps a work order made from an alert as it now is, with its records as they came (seq and
   * hash, its place in the orders' chain), so the alert's evidence package has them without the
   * alerts reaching into the orders feature.
   */
  saveOrder(alertId: string, orderId: string, order: unknown, record: unknown): void {
    const row = this.#db.prepare("SELECT records FROM alert_orders WHERE order_id = ?").get(orderId) as { records: string } | undefined;
    const records = [...(row ? (JSON.parse(row.records) as unknown[]) : []), record];
    this.#db
      .prepare("INSERT INTO alert_orders (order_id, alert_id, body, records) VALUES (?, ?, ?, ?) ON CONFLICT(order_id) DO UPDATE SET body = excluded.body, records = excluded.records")
      .run(orderId, alertId, JSON.stringify(order), JSON.stringify(records));
  }

  /** The work orders made from an alert, each with the records seen of it. */
  orders(alertId: string): Array<{ order: unknown; records: unknown[] }> {
    const rows = this.#db.prepare("SELECT body, records FROM alert_orders WHERE alert_id = ? ORDER BY order_id").all(alertId) as Array<{ body: string; records: string }>;
    return rows.map((r) => ({ order: JSON.parse(r.body) as unknown, records: JSON.parse(r.records) as unknown[] }));
  }

  /** Marks an alert as under legal hold (its record, trail and sources outlive `purge`), or no longer. */
  setHeld(alertId: string, held: boolean, at: number): void {
    if (held) this.#db.prepare("INSERT OR IGNORE INTO held_alerts (alert_id, at) VALUES (?, ?)").run(alertId, at);
    else this.#db.prepare("DELETE FROM held_alerts WHERE alert_id = ?").run(alertId);
  }

  isHeld(alertId: string): boolean {
    return this.#db.prepare("SELECT 1 FROM held_alerts WHERE alert_id = ?").get(alertId) !== undefined;
  }

  get(id: string): Alert | undefined {
    const row = this.#db.prepare("SELECT body FROM alerts WHERE id = ?").get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Alert) : undefined;
  }

  /** The unresolved alert with this dedup key, if any (the newest one). */
  active(dedupKey: string): Alert | undefined {
    const row = this.#db
      .prepare("SELECT body FROM alerts WHERE dedup_key = ? AND state != 'resolved' ORDER BY last_at DESC LIMIT 1")
      .get(dedupKey) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Alert) : undefined;
  }

  /** Open and acknowledged alerts, newest first. */
  unresolved(): Alert[] {
    return (this.#db.prepare("SELECT body FROM alerts WHERE state != 'resolved' ORDER BY last_at DESC").all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Alert);
  }

  /** All alerts, newest first, optionally before a time (for paging) and in one state. */
  history(limit: number, before?: number, state?: string): Alert[] {
    const rows = this.#db
      .prepare(`SELECT body FROM alerts WHERE last_at < ? ${state ? "AND state = ?" : ""} ORDER BY last_at DESC LIMIT ?`)
      .all(...[before ?? Number.MAX_SAFE_INTEGER, ...(state ? [state] : []), limit]) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as Alert);
  }

  log(alertId: string): LogEntry[] {
    const rows = this.#db.prepare("SELECT alert_id, at, event, by, note FROM alert_log WHERE alert_id = ? ORDER BY seq").all(alertId) as Array<{
      alert_id: string;
      at: number;
      event: LogEvent;
      by: string | null;
      note: string | null;
    }>;
    return rows.map((r) => ({ alertId: r.alert_id, at: r.at, event: r.event, ...(r.by === null ? {} : { by: r.by }), ...(r.note === null ? {} : { note: r.note }) }));
  }

  /** Drops resolved alerts (and their trail and sources) last seen before `cutoff`, except those under legal hold; returns how many. */
  purge(cutoff: number): number {
    const expired = "SELECT id FROM alerts WHERE state = 'resolved' AND last_at < ? AND id NOT IN (SELECT alert_id FROM held_alerts)";
    return this.#db.transaction(() => {
      this.#db.prepare(`DELETE FROM alert_log WHERE alert_id IN (${expired})`).run(cutoff);
      this.#db.prepare(`DELETE FROM alert_sources WHERE alert_id IN (${expired})`).run(cutoff);
      this.#db.prepare(`DELETE FROM alert_orders WHERE alert_id IN (${expired})`).run(cutoff);
      return this.#db.prepare(`DELETE FROM alerts WHERE id IN (${expired})`).run(cutoff).changes;
    })();
  }

  /** When each device last spoke, so silence is still noticed after a restart. */
  saveLastSeen(entries: Iterable<{ kind: string; device: string; site: string; at: number }>): void {
    const put = this.#db.prepare("INSERT INTO last_seen (kind, device, site, at) VALUES (?, ?, ?, ?) ON CONFLICT(kind, device) DO UPDATE SET at = excluded.at, site = excluded.site");
    this.#db.transaction(() => {
      for (const e of entries) put.run(e.kind, e.device, e.site, e.at);
    })();
  }

  lastSeen(): Array<{ kind: string; device: string; site: string; at: number }> {
    return this.#db.prepare("SELECT kind, device, site, at FROM last_seen").all() as Array<{ kind: string; device: string; site: string; at: number }>;
  }

  /** Mutes a device's notifications until `until` (replacing an earlier mute of it). */
  saveMute(m: Mute): void {
    this.#db.prepare("INSERT INTO mutes (device, until, by, at, note) VALUES (@device, @until, @by, @at, @note) ON CONFLICT(device) DO UPDATE SET until = excluded.until, by = excluded.by, at = excluded.at, note = excluded.note").run(m);
  }

  /** Removes a device's mute; returns it when there was one. */
  removeMute(device: string): Mute | undefined {
    const m = this.#db.prepare("SELECT device, until, by, at, note FROM mutes WHERE device = ?").get(device) as Mute | undefined;
    this.#db.prepare("DELETE FROM mutes WHERE device = ?").run(device);
    return m;
  }

  /** Mutes still running at `now`; expired ones are deleted. */
  mutes(now: number): Mute[] {
    this.#db.prepare("DELETE FROM mutes WHERE until <= ?").run(now);
    return this.#db.prepare("SELECT device, until, by, at, note FROM mutes ORDER BY until").all() as Mute[];
  }

  close(): void {
    this.#db.close();
  }
}
