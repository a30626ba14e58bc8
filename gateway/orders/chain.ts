import { createHash } from "node:crypto";
import type { OrderRecord, WorkOrder } from "./types.ts";

export const GENESIS = "0".repeat(64);

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A record's hash covers its fields and the previous record's hash, so changing or removing one breaks every later link. */
export function recordHash(r: Omit<OrderRecord, "hash">): string {
  return sha256(JSON.stringify([r.seq, r.orderId, r.at, r.by, r.event, r.data, r.prevHash]));
}

/**
 * The SHA-256 a signature signs: what the order says at that moment (fields, state, photos,
 * earlier signatures' hashes), not the drawings themselves.
 */
export function contentSha256(o: WorkOrder): string {
  const { id, type, state, place, description, alertId, evidence, assignee, createdBy, createdAt, dueAt, photos } = o;
  const signatures = o.signatures.map((s) => ({ as: s.as, by: s.by, at: s.at, contentSha256: s.contentSha256, png: sha256(s.png) }));
  return sha256(JSON.stringify({ id, type, state, place, description, alertId, evidence, assignee, createdBy, createdAt, dueAt, photos, signatures }));
}

export interface ChainBreak {
  seq: number;
  orderId: string;
  problem: string;
}

/**
 * Checks the chain in order: sequence without gaps, each link to the previous hash, each hash
 * over its record; and that every order's last record is there (a deleted tail). The first break, or none.
 */
export function verifyChain(records: Iterable<OrderRecord>, heads: Array<{ orderId: string; version: number }>): ChainBreak | undefined {
  let prev = GENESIS;
  let expected = 1;
  const seen = new Map<number, string>();
  for (const r of records) {
    if (r.seq !== expected) return { seq: expected, orderId: r.orderId, problem: `record ${expected} is missing (next is ${r.seq})` };
    if (r.prevHash !== prev) return { seq: r.seq, orderId: r.orderId, problem: "does not link to the record before it" };
    const { hash, ...rest } = r;
    if (recordHash(rest) !== hash) return { seq: r.seq, orderId: r.orderId, problem: "was changed after it was written (hash mismatch)" };
    seen.set(r.seq, r.orderId);
    prev = hash;
    expected++;
  }
  for (const h of heads) {
    if (seen.get(h.version) !== h.orderId) return { seq: h.version, orderId: h.orderId, problem: `order ${h.orderId}'s last record ${h.version} is missing` };
  }
  return undefined;
}
