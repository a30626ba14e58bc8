import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** One staff action (or a refused attempt at one): who, when, what, and the outcome. */
export interface AuditRecord {
  /** epoch ms */
  ts: number;
  /** the authenticated account (or `cli:<os user>` for the registry commands) */
  who: string;
  role?: string;
  clientId?: string;
  address?: string;
  action: string;
  topic?: string;
  nonce?: string;
  expiresAt?: number;
  outcome: "accepted" | "refused";
  reason?: string;
  detail?: string;
}

/**
 * Append-only JSON lines. Appended synchronously so a record is on disk before the command it
 * describes reaches the lift guard; staff actions are rare, so the cost does not matter.
 */
export class AuditLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  append(record: AuditRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }
}
