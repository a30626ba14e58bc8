import { existsSync, renameSync } from "node:fs";
import Database from "better-sqlite3";
import { announceQuarantined } from "./quarantine.ts";

/** What a store expects of its file. */
export interface DatabaseSpec {
  /** the store's name in logs and metrics (`spool`, `alerts`, ...) */
  store: string;
  /**
   * The columns each table must have, when the table is there (a missing table is created by the
   * store). A table lacking one is a wrong schema; extra columns are accepted, so a file a newer
   * version added a column to is not thrown away by an older one.
   */
  tables: Readonly<Record<string, readonly string[]>>;
}

/** SQLite's result codes for a file that is not (or no longer) a sound database. */
const DAMAGED = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CORRUPT_VTAB", "SQLITE_CORRUPT_SEQUENCE", "SQLITE_CORRUPT_INDEX"]);

/**
 * Opens a store's SQLite file, checked (`PRAGMA quick_check` and the store's schema). A damaged
 * file must not stop the gateway: it is moved aside as `<file>.corrupt-<UTC stamp>` (with its
 * -wal and -shm), announced (gateway/storage/quarantine.ts), and a fresh file is opened in its
 * place. Other failures (no permission, a missing directory) are thrown: moving the file would not
 * cure them, and they need the operator.
 */
export function openDatabase(file: string, spec: DatabaseSpec): Database.Database {
  if (existsSync(file)) {
    // read-only, so that closing a damaged file neither checkpoints nor deletes its WAL: what is moved aside is what was found
    const probe = new Database(file, { readonly: true, fileMustExist: true });
    let reason: string | undefined;
    try {
      reason = damage(probe, spec);
    } finally {
      probe.close();
    }
    if (reason !== undefined) quarantine(file, reason, spec);
  }
  return new Database(file);
}

function quarantine(file: string, reason: string, spec: DatabaseSpec): void {
  const at = Date.now();
  const movedTo = moveAside(file, at);
  announceQuarantined({ store: spec.store, file, movedTo, reason, at });
}

/** Why the open file is unusable, or undefined when it is sound. */
function damage(db: Database.Database, spec: DatabaseSpec): string | undefined {
  try {
    const rows = db.pragma("quick_check") as Array<{ quick_check: string }>;
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
    if (problems.length > 0) return `quick_check: ${problems.slice(0, 3).join("; ")}`;
    for (const [table, columns] of Object.entries(spec.tables)) {
      const present = new Set((db.pragma(`table_info(${JSON.stringify(table)})`) as Array<{ name: string }>).map((c) => c.name));
      if (present.size === 0) continue;
      const missing = columns.filter((c) => !present.has(c));
      if (missing.length > 0) return `wrong schema: table ${table} has no column ${missing.join(", ")}`;
    }
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && DAMAGED.has(code)) return `${code}: ${(err as Error).message}`;
    throw err;
  }
}

/** Moves the file and its WAL companions aside under one timestamped name; returns the new path. */
function moveAside(file: string, at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let target = `${file}.corrupt-${stamp}`;
  // two quarantines of one file within a second keep both copies
  for (let n = 2; existsSync(target); n++) target = `${file}.corrupt-${stamp}-${n}`;
  renameSync(file, target);
  for (const suffix of ["-wal", "-shm"]) {
    if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix);
  }
  return target;
}
