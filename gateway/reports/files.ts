import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PeriodKind } from "./period.ts";

export interface KeptReport {
  kind: PeriodKind;
  date: string;
  slug: string;
}

const NAME = /^linli-report-(day|week)-(\d{4}-\d{2}-\d{2})\.(xlsx|pdf)$/;

export const FILE_TYPES = { xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", pdf: "application/pdf" } as const;

/** The scheduled reports' files, kept under the data dir for staff to download from the summary's link. */
export class ReportFiles {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  keep(slug: string, files: { xlsx: Buffer; pdf: Buffer }): void {
    // written whole under a temporary name first, so a download never gets half a file
    for (const [ext, bytes] of Object.entries(files)) {
      const path = join(this.dir, `${slug}.${ext}`);
      writeFileSync(`${path}.tmp`, bytes);
      renameSync(`${path}.tmp`, path);
    }
  }

  /** A kept file by its name, or undefined for any name that is not one of ours. */
  read(name: string): { bytes: Buffer; type: string } | undefined {
    const m = NAME.exec(name);
    if (!m) return undefined;
    try {
      return { bytes: readFileSync(join(this.dir, name)), type: FILE_TYPES[m[3] as keyof typeof FILE_TYPES] };
    } catch {
      return undefined;
    }
  }

  /** The kept reports, newest period first. */
  list(limit = 20): KeptReport[] {
    const seen = new Map<string, KeptReport>();
    for (const f of readdirSync(this.dir)) {
      const m = NAME.exec(f);
      if (m) seen.set(`${m[1]}-${m[2]}`, { kind: m[1] as PeriodKind, date: m[2] ?? "", slug: `linli-report-${m[1]}-${m[2]}` });
    }
    return [...seen.values()].sort((a, b) => b.date.localeCompare(a.date) || a.kind.localeCompare(b.kind)).slice(0, limit);
  }

  /** Removes files older than `keepDays`; returns how many. */
  prune(keepDays: number, now = Date.now()): number {
    let removed = 0;
    for (const f of readdirSync(this.dir)) {
      if (!NAME.test(f)) continue;
      const path = join(this.dir, f);
      if (now - statSync(path).mtimeMs > keepDays * 86_400_000) {
        rmSync(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
