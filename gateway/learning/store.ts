import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { LINLI_CLASSES, type LabelBox } from "../detector/labels/classes.ts";
import { openDatabase } from "../storage/open-database.ts";

export const FRAME_REASONS = ["hold", "near_miss", "marked", "negative", "disagreement"] as const;
export type FrameReason = (typeof FRAME_REASONS)[number];

/** When one picture is kept for two reasons, the row shows the one that says most about it. */
const PRIORITY: Record<FrameReason, number> = { marked: 4, hold: 3, disagreement: 2, near_miss: 1, negative: 0 };

/** A box the model drew: its class (a linli class, or the model's own label), normalised to the frame. */
export interface Prediction {
  cls: string;
  score: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Who gave a frame its labels: a member of staff on the labelling page, or a hold's verdict. */
export type LabelSource = "staff" | "verdict";

export interface CollectedFrame {
  id: string;
  lift: string;
  /** the frame's capture time (epoch ms) */
  capturedAt: number;
  reason: FrameReason;
  evidenceId: string;
  sha256: string;
  width: number;
  height: number;
  model: string;
  threshold: number;
  /** the model's best e-bike score on it */
  score: number;
  predictions: Prediction[];
  holdId?: string;
  verdict?: "ebike" | "no_ebike";
  /** null until labelled; an empty list is a frame with nothing of interest */
  labels: LabelBox[] | null;
  labelledBy?: string;
  labelledAt?: number;
  labelSource?: LabelSource;
  createdAt: number;
}

export type NewFrame = Omit<CollectedFrame, "id" | "labels" | "labelledBy" | "labelledAt" | "labelSource" | "verdict">;

export const labelBoxSchema = z.strictObject({
  cls: z.enum(LINLI_CLASSES),
  x: z.number().min(0).max(1),
  y: z.number().min(0).max(1),
  w: z.number().gt(0).max(1),
  h: z.number().gt(0).max(1),
});
export const labelsSchema = z.array(labelBoxSchema).max(100);

export interface QueueQuery {
  order: "newest" | "uncertain";
  state: "unlabelled" | "labelled" | "all";
  lift?: string | undefined;
  limit: number;
}

const DAY = 86_400_000;

interface Row {
  id: string;
  lift: string;
  captured_at: number;
  reason: FrameReason;
  evidence_id: string;
  sha256: string;
  width: number;
  height: number;
  model: string;
  threshold: number;
  score: number;
  predictions: string;
  hold_id: string | null;
  verdict: "ebike" | "no_ebike" | null;
  labels: string | null;
  labelled_by: string | null;
  labelled_at: number | null;
  label_source: LabelSource | null;
  created_at: number;
}

/** A frame's id: one picture is one frame, however often it was collected. */
export const frameId = (sha256: string) => `lf-${sha256.slice(0, 20)}`;

/**
 * The frames site learning collected and their labels, in SQLite under the data dir. The pictures
 * stay in the core's evidence store; a row refers to one by id.
 */
export class FrameStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#db = openDatabase(file, {
      store: "learning",
      tables: {
        frames: ["id", "lift", "captured_at", "reason", "evidence_id", "sha256", "width", "height", "model", "threshold", "score", "predictions", "hold_id", "verdict", "labels", "labelled_by", "labelled_at", "label_source", "created_at"],
      },
    });
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS frames (
      id TEXT PRIMARY KEY, lift TEXT NOT NULL, captured_at INTEGER NOT NULL, reason TEXT NOT NULL,
      evidence_id TEXT NOT NULL, sha256 TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
      model TEXT NOT NULL, threshold REAL NOT NULL, score REAL NOT NULL, predictions TEXT NOT NULL,
      hold_id TEXT, verdict TEXT, labels TEXT, labelled_by TEXT, labelled_at INTEGER, label_source TEXT,
      created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS frames_lift_reason ON frames (lift, reason, created_at);
      CREATE INDEX IF NOT EXISTS frames_hold ON frames (hold_id);
      CREATE INDEX IF NOT EXISTS frames_created ON frames (created_at);`);
  }

  /** Keeps a frame; a picture already kept gets the stronger reason and the hold it belongs to. */
  add(frame: NewFrame): CollectedFrame {
    const id = frameId(frame.sha256);
    const existing = this.get(id);
    if (existing) {
      const reason = PRIORITY[frame.reason] > PRIORITY[existing.reason] ? frame.reason : existing.reason;
      this.#db.prepare("UPDATE frames SET reason = ?, hold_id = COALESCE(hold_id, ?) WHERE id = ?").run(reason, frame.holdId ?? null, id);
      return this.get(id)!;
    }
    this.#db
      .prepare(
        `INSERT INTO frames (id, lift, captured_at, reason, evidence_id, sha256, width, height, model, threshold, score, predictions, hold_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, frame.lift, frame.capturedAt, frame.reason, frame.evidenceId, frame.sha256, frame.width, frame.height, frame.model, frame.threshold, frame.score, JSON.stringify(frame.predictions), frame.holdId ?? null, frame.createdAt);
    return this.get(id)!;
  }

  get(id: string): CollectedFrame | undefined {
    const row = this.#db.prepare("SELECT * FROM frames WHERE id = ?").get(id) as Row | undefined;
    return row && toFrame(row);
  }

  /** How many frames of this kind the lift got in the 24 hours before `now`. */
  countSince(lift: string, reason: FrameReason, now: number): number {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM frames WHERE lift = ? AND reason = ? AND created_at > ?").get(lift, reason, now - DAY) as { n: number }).n;
  }

  countOfHold(holdId: string): number {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM frames WHERE hold_id = ?").get(holdId) as { n: number }).n;
  }

  setLabels(id: string, labels: LabelBox[], by: string, source: LabelSource, now: number): CollectedFrame | undefined {
    const r = this.#db.prepare("UPDATE frames SET labels = ?, labelled_by = ?, labelled_at = ?, label_source = ? WHERE id = ?").run(JSON.stringify(labels), by, now, source, id);
    return r.changes > 0 ? this.get(id) : undefined;
  }

  /**
   * Staff's answer on a hold, for each of its frames: recorded on all of them, and their labels
   * when nobody has labelled them by hand (a hand-drawn box says more than a yes or no).
   */
  applyVerdict(holdId: string, verdict: "ebike" | "no_ebike", labelsOf: (frame: CollectedFrame) => LabelBox[], by: string, now: number): CollectedFrame[] {
    const frames = this.#rows("SELECT * FROM frames WHERE hold_id = ?", holdId);
    const update = this.#db.prepare("UPDATE frames SET verdict = ? WHERE id = ?");
    for (const f of frames) {
      update.run(verdict, f.id);
      if (f.labelSource !== "staff") this.setLabels(f.id, labelsOf(f), by, "verdict", now);
    }
    return frames.map((f) => this.get(f.id)!);
  }

  queue(q: QueueQuery): CollectedFrame[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state === "unlabelled") where.push("labels IS NULL");
    if (q.state === "labelled") where.push("labels IS NOT NULL");
    if (q.lift) {
      where.push("lift = ?");
      args.push(q.lift);
    }
    // "uncertain": the frames the model was least sure of, the score nearest its own threshold
    const order = q.order === "uncertain" ? "ABS(score - threshold) ASC, captured_at DESC" : "captured_at DESC";
    return this.#rows(`SELECT * FROM frames ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ?`, ...args, q.limit);
  }

  /** Every labelled frame, oldest first (for a data set export). */
  labelled(): CollectedFrame[] {
    return this.#rows("SELECT * FROM frames WHERE labels IS NOT NULL ORDER BY captured_at ASC");
  }

  progress(now: number): { labelled: number; unlabelled: number; labelledToday: number } {
    const one = (sql: string, ...args: unknown[]) => (this.#db.prepare(sql).get(...args) as { n: number }).n;
    return {
      labelled: one("SELECT COUNT(*) AS n FROM frames WHERE labels IS NOT NULL"),
      unlabelled: one("SELECT COUNT(*) AS n FROM frames WHERE labels IS NULL"),
      labelledToday: one("SELECT COUNT(*) AS n FROM frames WHERE labelled_at > ?", now - DAY),
    };
  }

  lifts(): string[] {
    return (this.#db.prepare("SELECT DISTINCT lift FROM frames ORDER BY lift").all() as { lift: string }[]).map((r) => r.lift);
  }

  remove(id: string): CollectedFrame | undefined {
    const frame = this.get(id);
    if (frame) this.#db.prepare("DELETE FROM frames WHERE id = ?").run(id);
    return frame;
  }

  /** Frames collected before `cutoff`, or whose picture `exists` no longer finds: deleted, and returned. */
  expire(cutoff: number, exists: (evidenceId: string) => boolean): CollectedFrame[] {
    const gone = this.#rows("SELECT * FROM frames").filter((f) => f.createdAt < cutoff || !exists(f.evidenceId));
    const remove = this.#db.prepare("DELETE FROM frames WHERE id = ?");
    this.#db.transaction(() => {
      for (const f of gone) remove.run(f.id);
    })();
    return gone;
  }

  close(): void {
    this.#db.close();
  }

  #rows(sql: string, ...args: unknown[]): CollectedFrame[] {
    return (this.#db.prepare(sql).all(...args) as Row[]).map(toFrame);
  }
}

function toFrame(r: Row): CollectedFrame {
  return {
    id: r.id,
    lift: r.lift,
    capturedAt: r.captured_at,
    reason: r.reason,
    evidenceId: r.evidence_id,
    sha256: r.sha256,
    width: r.width,
    height: r.height,
    model: r.model,
    threshold: r.threshold,
    score: r.score,
    predictions: JSON.parse(r.predictions) as Prediction[],
    ...(r.hold_id ? { holdId: r.hold_id } : {}),
    ...(r.verdict ? { verdict: r.verdict } : {}),
    labels: r.labels === null ? null : (JSON.parse(r.labels) as LabelBox[]),
    ...(r.labelled_by ? { labelledBy: r.labelled_by } : {}),
    ...(r.labelled_at ? { labelledAt: r.labelled_at } : {}),
    ...(r.label_source ? { labelSource: r.label_source } : {}),
    createdAt: r.created_at,
  };
}
