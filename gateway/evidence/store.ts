import { createHash } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";
import { LegalHolds } from "./holds.ts";

/** A piece of evidence's id: `ev-` and the first 20 hex digits of its SHA-256 (what the console serves under /evidence/). */
export function evidenceId(sha256: string): string {
  return `ev-${sha256.slice(0, 20)}`;
}

export const EVIDENCE_ID = /^ev-[0-9a-f]{20}$/;

/** One kept file: referenced everywhere by `id` and `sha256`; the bytes live under the store's dir. */
export interface EvidenceRecord {
  id: string;
  sha256: string;
  mime: string;
  size: number;
  /** where the bytes came from (a URL, a file, "mqtt") */
  source: string;
  /** what it is evidence of, e.g. an alert or hold id */
  subject: string;
  createdAt: number;
  /** path relative to the store's dir */
  file: string;
}

export interface PutOptions {
  source: string;
  subject: string;
  /** the SHA-256 the device announced; a mismatch is refused */
  expectedSha256?: string;
  mime?: string;
  now?: number;
}

export class EvidenceMismatch extends Error {}

const EXT: Record<string, string> = { "image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4", "application/octet-stream": "bin" };

/** The file name extension for a kept file's type (`bin` for one the store does not recognise). */
export function extensionOf(mime: string | undefined): string {
  return (mime && EXT[mime]) ?? "bin";
}

/** Recognises the formats cameras send, from their first bytes. */
export function sniffMime(bytes: Buffer): string {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 12 && bytes.subarray(4, 8).toString("latin1") === "ftyp") return "video/mp4";
  return "application/octet-stream";
}

export function sha256Hex(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `sha256:<hex>` or `<hex>` -> `<hex>` (lower case), or undefined when it is not a SHA-256. */
export function normaliseSha256(ref: string | undefined): string | undefined {
  const hex = ref?.replace(/^sha256:/i, "").toLowerCase();
  return hex && /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * A content-addressed store of evidence files (snapshots, clips, frames) under one directory, with
 * an SQLite index, each file referenced by id and SHA-256 and deleted after the retention period.
 * Generic: it knows nothing about alerts or lifts. The gateway has one, on the core. Evidence
 * under a legal hold (`holds`) outlives retention and erasure until the hold is released.
 */
export class EvidenceStore {
  readonly #db: Database.Database;
  readonly holds: LegalHolds;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.#db = openDatabase(join(dir, "index.db"), {
      store: "evidence",
      tables: {
        evidence: ["id", "sha256", "mime", "size", "source", "subject", "created_at", "file"],
        hold_records: ["seq", "subject", "event", "at", "by", "reason", "evidence", "prev_hash", "hash"],
        held_evidence: ["subject", "evidence_id"],
      },
    });
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS evidence (
      id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, mime TEXT NOT NULL, size INTEGER NOT NULL,
      source TEXT NOT NULL, subject TEXT NOT NULL, created_at INTEGER NOT NULL, file TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS evidence_created ON evidence (created_at);`);
    this.holds = new LegalHolds(this.#db);
  }

  /** Keeps the bytes (once per content); returns the record, existing or new. */
  put(bytes: Buffer, options: PutOptions): EvidenceRecord {
    const sha256 = sha256Hex(bytes);
    const expected = options.expectedSha256 === undefined ? undefined : normaliseSha256(options.expectedSha256);
    if (options.expectedSha256 !== undefined && expected !== sha256) {
      throw new EvidenceMismatch(`SHA-256 mismatch: announced ${options.expectedSha256}, got ${sha256}`);
    }
    const existing = this.bySha256(sha256);
    if (existing) return existing;
    const now = options.now ?? Date.now();
    const mime = options.mime ?? sniffMime(bytes);
    const id = evidenceId(sha256);
    const day = new Date(now).toISOString().slice(0, 10);
    const file = join(day, `${id}.${extensionOf(mime)}`);
    mkdirSync(join(this.dir, day), { recursive: true });
    const tmp = join(this.dir, `${file}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(this.dir, file)); // never a half-written file under its final name
    const record: EvidenceRecord = { id, sha256, mime, size: bytes.length, source: options.source, subject: options.subject, createdAt: now, file };
    this.#db
      .prepare("INSERT OR IGNORE INTO evidence (id, sha256, mime, size, source, subject, created_at, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(id, sha256, mime, record.size, record.source, record.subject, now, file);
    return record;
  }

  /** Fetches the bytes a device points at (a camera's snapshot URL) and keeps them if they match. */
  async fetch(url: string, options: PutOptions & { maxBytes: number; timeoutMs: number }): Promise<EvidenceRecord> {
    const expected = normaliseSha256(options.expectedSha256);
    const known = expected ? this.bySha256(expected) : undefined;
    if (known) return known;
    const protocol = new URL(url).protocol;
    if (protocol !== "http:" && protocol !== "https:") throw new Error(`${url}: only http and https are fetched`);
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
    if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > options.maxBytes) throw new Error(`GET ${url}: ${declared} bytes is over the cap of ${options.maxBytes}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > options.maxBytes) throw new Error(`GET ${url}: over the cap of ${options.maxBytes} bytes`);
      chunks.push(Buffer.from(chunk));
    }
    const type = res.headers.get("content-type")?.split(";")[0]?.trim();
    const bytes = Buffer.concat(chunks);
    return this.put(bytes, { ...options, source: url, ...(type && EXT[type] ? { mime: type } : {}) });
  }

  get(id: string): EvidenceRecord | undefined {
    return this.#row(this.#db.prepare("SELECT * FROM evidence WHERE id = ?").get(id));
  }

  bySha256(sha256: string): EvidenceRecord | undefined {
    return this.#row(this.#db.prepare("SELECT * FROM evidence WHERE sha256 = ?").get(sha256));
  }

  /** The absolute path of a record's file. */
  path(record: EvidenceRecord): string {
    return join(this.dir, record.file);
  }

  /** Deletes files created before `cutoff` (epoch ms) and their index rows, except those under a legal hold; returns how many. */
  purge(cutoff: number): number {
    const rows = this.#db.prepare("SELECT * FROM evidence WHERE created_at < ? AND id NOT IN (SELECT evidence_id FROM held_evidence)").all(cutoff);
    const remove = this.#db.prepare("DELETE FROM evidence WHERE id = ?");
    for (const raw of rows) {
      const r = this.#row(raw);
      if (!r) continue;
      rmSync(this.path(r), { force: true });
      remove.run(r.id);
    }
    return rows.length;
  }

  /**
   * Deletes one record and its file (an administrator erasing a resident's picture); false when
   * there was none, or when it is under a legal hold: destroying held evidence is what a hold forbids.
   */
  remove(id: string): boolean {
    const record = this.get(id);
    if (!record || this.holds.holdsEvidence(id)) return false;
    rmSync(this.path(record), { force: true });
    this.#db.prepare("DELETE FROM evidence WHERE id = ?").run(id);
    return true;
  }

  close(): void {
    this.#db.close();
  }

  #row(raw: unknown): EvidenceRecord | undefined {
    if (!raw) return undefined;
    const r = raw as { id: string; sha256: string; mime: string; size: number; source: string; subject: string; created_at: number; file: string };
    return { id: r.id, sha256: r.sha256, mime: r.mime, size: r.size, source: r.source, subject: r.subject, createdAt: r.created_at, file: r.file };
  }
}
