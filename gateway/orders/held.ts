import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EvidenceMismatch, type EvidenceStore } from "../evidence/store.ts";
import type { WorkOrder } from "./types.ts";

/** The evidence store's name for a work order's legal hold (gateway/evidence/holds.ts). */
export const orderSubject = (orderId: string) => `order:${orderId}`;

/** An order's evidence and photos whose bytes the store has, as a hold names them. */
export function storedEvidence(o: WorkOrder, evidence: EvidenceStore): Array<{ id: string; sha256: string }> {
  const refs = [...o.evidence.map((e) => ({ id: e.id, sha256: e.sha256 })), ...o.photos.map((p) => ({ id: p.evidenceId, sha256: p.sha256 }))];
  return refs.flatMap((r) => {
    const rec = (r.id ? evidence.get(r.id) : undefined) ?? evidence.bySha256(r.sha256);
    return rec ? [{ id: rec.id, sha256: rec.sha256 }] : [];
  });
}

/**
 * Before legal holds lived in the evidence store, an order's hold copied its files into
 * `<dataDir>/orders/held/<sha256>`. Each order held that way, with no hold in the store yet, gets
 * one now: its copies go back into the store (checked against their SHA-256) and are held under
 * the order with the original hold's who, when and why. The old folder is left as it was: an
 * upgrade never deletes evidence. Returns the orders moved, and the copies that no longer match
 * their SHA-256 (left out of the hold, for the operator to look at).
 */
export function moveOldHolds(heldDir: string, orders: Iterable<WorkOrder>, evidence: EvidenceStore): { moved: number; damaged: string[] } {
  let moved = 0;
  const damaged: string[] = [];
  for (const o of orders) {
    if (!o.legalHold || evidence.holds.isHeld(orderSubject(o.id))) continue;
    for (const sha256 of [...o.evidence.map((e) => e.sha256), ...o.photos.map((p) => p.sha256)]) {
      const copy = join(heldDir, sha256);
      if (evidence.bySha256(sha256) || !existsSync(copy)) continue;
      try {
        evidence.put(readFileSync(copy), { source: "orders/held", subject: o.id, expectedSha256: sha256 });
      } catch (err) {
        if (!(err instanceof EvidenceMismatch)) throw err;
        damaged.push(copy);
      }
    }
    evidence.holds.hold(orderSubject(o.id), storedEvidence(o, evidence), o.legalHold.by, o.legalHold.note, o.legalHold.at);
    moved++;
  }
  return { moved, damaged };
}
