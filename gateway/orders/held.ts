import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { EvidenceStore } from "../evidence/store.ts";

/**
 * Evidence under legal hold: copies of the evidence store's files, by SHA-256, in the orders'
 * folder, which the evidence store's retention never sweeps. A property company that shares
 * liability for a throw must be able to show what its cameras recorded long after retention.
 */
export class HeldEvidence {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Copies the evidence with these ids out of the store (checked by SHA-256); returns the hashes now held. Ids no longer in the store are skipped. */
  keep(store: EvidenceStore, ids: Iterable<string>): Array<{ sha256: string; mime: string }> {
    const held: Array<{ sha256: string; mime: string }> = [];
    for (const id of new Set(ids)) {
      const rec = store.get(id);
      if (!rec) continue;
      const target = this.path(rec.sha256);
      if (!existsSync(target)) {
        const tmp = `${target}.tmp`;
        copyFileSync(store.path(rec), tmp);
        if (sha256File(tmp) !== rec.sha256) throw new Error(`evidence ${id} does not match its SHA-256: not held`);
        renameSync(tmp, target);
      }
      held.push({ sha256: rec.sha256, mime: rec.mime });
    }
    return held;
  }

  path(sha256: string): string {
    return join(this.dir, sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.path(sha256));
  }
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}
