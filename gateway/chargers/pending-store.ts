import type Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";
import type { PortCommandName } from "./events.ts";

/** Who asked for a command: an alarm (by its id) or a console login. */
export type Trigger = { trigger: "alarm"; alarmId: string } | { trigger: "staff"; by: string };

/** A command waiting for its charger's ack, as it is kept across a restart. */
export interface WaitingCommand {
  charger: string;
  port: number;
  cmd: PortCommandName;
  reason: string;
  seq: number;
  source: Trigger;
  /** sends so far */
  attempts: number;
  createdAt: number;
}

interface Row {
  charger: string;
  seq: number;
  port: number;
  cmd: PortCommandName;
  reason: string;
  source: string;
  attempts: number;
  created_at: number;
}

/**
 * The commands still waiting for an ack, in SQLite under the data dir (`chargers/pending.db`), and
 * the last seq issued, so that a restart resumes each waiting command under its own seq and never
 * issues a seq again (an ack for a command from before the restart then ends that command, not a
 * new one that happens to share its number). Nonces are not kept: every send gets a fresh one.
 */
export class PendingCommands {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = openDatabase(file, {
      store: "chargers",
      tables: { pending: ["charger", "seq", "port", "cmd", "reason", "source", "attempts", "created_at"], counters: ["name", "value"] },
    });
    this.#db.pragma("journal_mode = WAL");
    // a port_off acknowledged to staff (202) must survive a crash of the process; a power cut may cost the last one
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS pending (
      charger TEXT NOT NULL, seq INTEGER NOT NULL, port INTEGER NOT NULL, cmd TEXT NOT NULL, reason TEXT NOT NULL,
      source TEXT NOT NULL, attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (charger, seq));
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
  }

  /** The next seq, counted on from the last one this data dir ever issued. */
  nextSeq(): number {
    return this.#db
      .prepare("INSERT INTO counters (name, value) VALUES ('seq', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value")
      .pluck()
      .get() as number;
  }

  add(c: WaitingCommand): void {
    this.#db
      .prepare("INSERT OR REPLACE INTO pending (charger, seq, port, cmd, reason, source, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(c.charger, c.seq, c.port, c.cmd, c.reason, JSON.stringify(c.source), c.attempts, c.createdAt);
  }

  attempted(charger: string, seq: number, attempts: number): void {
    this.#db.prepare("UPDATE pending SET attempts = ? WHERE charger = ? AND seq = ?").run(attempts, charger, seq);
  }

  /** The command is over (acked, refused, given up, superseded). */
  remove(charger: string, seq: number): void {
    this.#db.prepare("DELETE FROM pending WHERE charger = ? AND seq = ?").run(charger, seq);
  }

  /** Every waiting command, oldest first. */
  all(): WaitingCommand[] {
    return (this.#db.prepare("SELECT * FROM pending ORDER BY seq").all() as Row[]).map((r) => ({
      charger: r.charger,
      port: r.port,
      cmd: r.cmd,
      reason: r.reason,
      seq: r.seq,
      source: JSON.parse(r.source) as Trigger,
      attempts: r.attempts,
      createdAt: r.created_at,
    }));
  }

  close(): void {
    this.#db.close();
  }
}
