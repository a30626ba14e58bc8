import { createHash } from "node:crypto";
import type Database from "better-sqlite3";

export const GENESIS = "0".repeat(64);

/** One step of a legal hold: who put a subject's evidence on hold (or added to it, or released it), when and why. */
export interface HoldRecord {
  /** the record's position in the gateway's hold chain, from 1 */
  seq: number;
  /** what is held, e.g. `alert:al-...` or `order:wo-...` */
  subject: string;
  event: "held" | "added" | "released";
  at: number;
  by: string;
  reason: string;
  /** the evidence this step covers, by id and SHA-256 */
  evidence: Array<{ id: string; sha256: string }>;
  prevHash: string;
  hash: string;
}

/** A hold refused: 400 without a reason, 409 when the subject is (or is not) held already. */
export class HoldError extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** A record's hash covers its fields and the previous record's hash, so changing or removing one breaks every later link. */
export function holdHash(r: Omit<HoldRecord, "hash">): string {
  return createHash("sha256").update(JSON.stringify([r.seq, r.subject, r.event, r.at, r.by, r.reason, r.evidence, r.prevHash])).digest("hex");
}

/** Checks records in chain order (gapless from 1, linked, each hash over its record); the first problem, or none. */
export function verifyHoldChain(records: Iterable<HoldRecord>): { seq: number; problem: string } | undefined {
  let prev = GENESIS;
  let expected = 1;
  for (const r of records) {
    if (r.seq !== expected) return { seq: expected, problem: `record ${expected} is missing (next is ${r.seq})` };
    if (r.prevHash !== prev) return { seq: r.seq, problem: "does not link to the record before it" };
    const { hash, ...rest } = r;
    if (holdHash(rest) !== hash) return { seq: r.seq, problem: "was changed after it was written (hash mismatch)" };
    prev = hash;
    expected++;
  }
  return undefined;
}

/**
 * Legal holds (证据保全) in the evidence store's own SQLite: evidence a held subject names is never
 * purged by retention, and every hold, addition and release is a record in a hash chain, so a
 * package can name its hold's position and a court can be shown the hold was not rewritten. One
 * mechanism for every feature: alerts and work orders hold by subject, none copies files.
 */
export class LegalHolds {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS hold_records (
      seq INTEGER PRIMARY KEY, subject TEXT NOT NULL, event TEXT NOT NULL, at INTEGER NOT NULL, by TEXT NOT NULL,
      reason TEXT NOT NULL, evidence TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS hold_records_subject ON hold_records (subject, seq);
      CREATE TABLE IF NOT EXISTS held_evidence (subject TEXT NOT NULL, evidence_id TEXT NOT NULL, PRIMARY KEY (subject, evidence_id));
      CREATE INDEX IF NOT EXISTS held_evidence_id ON held_evidence (evidence_id);`);
  }

  /** Puts a subject's evidence on hold; a subject already held gets an error (add to it instead). A reason is required: a court asks why. */
  hold(subject: string, evidence: Array<{ id: string; sha256: string }>, by: string, reason: string, now = Date.now()): HoldRecord {
    if (!reason.trim()) throw new HoldError(400, "a legal hold needs a reason (e.g. the police request's number)");
    if (this.isHeld(subject)) throw new HoldError(409, `${subject} is already on legal hold`);
    return this.#append(subject, "held", evidence, by, reason.trim(), now);
  }

  /** Adds evidence that arrived after the hold (a clip fetched later, a photo of the work); nothing when all of it is held already. */
  add(subject: string, evidence: Array<{ id: string; sha256: string }>, by: string, now = Date.now()): HoldRecord | undefined {
    if (!this.isHeld(subject)) return undefined;
    const held = new Set(this.evidenceOf(subject));
    const fresh = evidence.filter((e) => !held.has(e.id));
    return fresh.length === 0 ? undefined : this.#append(subject, "added", fresh, by, "arrived after the hold", now);
  }

  /** Ends a hold: its evidence falls back under retention (and is purged at once when past it). */
  release(subject: string, by: string, reason: string, now = Date.now()): HoldRecord {
    if (!reason.trim()) throw new HoldError(400, "releasing a legal hold needs a reason");
    if (!this.isHeld(subject)) throw new HoldError(409, `${subject} is not on legal hold`);
    return this.#append(subject, "released", [], by, reason.trim(), now);
  }

  isHeld(subject: string): boolean {
    return this.current(subject) !== undefined;
  }

  /** The record that put the subject on hold, while it holds; undefined when it is not held. */
  current(subject: string): HoldRecord | undefined {
    const last = this.records(subject)
      .reverse()
      .find((r) => r.event !== "added");
    return last?.event === "held" ? last : undefined;
  }

  /** The evidence ids a subject holds now. */
  evidenceOf(subject: string): string[] {
    return (this.db.prepare("SELECT evidence_id FROM held_evidence WHERE subject = ? ORDER BY evidence_id").all(subject) as Array<{ evidence_id: string }>).map((r) => r.evidence_id);
  }

  /** Whether any subject holds this piece of evidence (retention and erasure skip it). */
  holdsEvidence(id: string): boolean {
    return this.db.prepare("SELECT 1 FROM held_evidence WHERE evidence_id = ? LIMIT 1").get(id) !== undefined;
  }

  /** A subject's records, or the whole chain, in chain order. */
  records(subject?: string): HoldRecord[] {
    const rows = (subject === undefined ? this.db.prepare("SELECT * FROM hold_records ORDER BY seq").all() : this.db.prepare("SELECT * FROM hold_records WHERE subject = ? ORDER BY seq").all(subject)) as HoldRow[];
    return rows.map(fromRow);
  }

  #append(subject: string, event: HoldRecord["event"], evidence: HoldRecord["evidence"], by: string, reason: string, at: number): HoldRecord {
    return this.db.transaction(() => {
      const last = this.db.prepare("SELECT seq, hash FROM hold_records ORDER BY seq DESC LIMIT 1").get() as { seq: number; hash: string } | undefined;
      const body = { seq: (last?.seq ?? 0) + 1, subject, event, at, by, reason, evidence, prevHash: last?.hash ?? GENESIS };
      const record: HoldRecord = { ...body, hash: holdHash(body) };
      this.db
        .prepare("INSERT INTO hold_records (seq, subject, event, at, by, reason, evidence, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .run(record.seq, subject, event, at, by, reason, JSON.stringify(evidence), record.prevHash, record.hash);
      if (event === "released") this.db.prepare("DELETE FROM held_evidence WHERE subject = ?").run(subject);
      const keep = this.db.prepare("INSERT OR IGNORE INTO held_evidence (subject, evidence_id) VALUES (?, ?)");
      for (const e of evidence) keep.run(subject, e.id);
      return record;
    })();
  }
}

interface HoldRow {
  seq: number;
  subject: string;
  event: HoldRecord["event"];
  at: number;
  by: string;
  reason: string;
  evidence: string;
  prev_hash: string;
  hash: string;
}

function fromRow(r: HoldRow): HoldRecord {
  return { seq: r.seq, subject: r.subject, event: r.event, at: r.at, by: r.by, reason: r.reason, evidence: JSON.parse(r.evidence) as HoldRecord["evidence"], prevHash: r.prev_hash, hash: r.hash };
}
