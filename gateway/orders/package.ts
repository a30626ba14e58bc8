import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkFiles, manifestFiles, type ManifestFile } from "../evidence/manifest.ts";
import { extensionOf, type EvidenceStore } from "../evidence/store.ts";
import { orderSubject } from "./held.ts";
import type { OrderRecord, WorkOrder } from "./types.ts";

/** What a package says about itself: every file's SHA-256, and where its records sit in the chains. */
export interface Manifest {
  orderId: string;
  alertId?: string;
  exportedAt: number;
  /** the order's records: their positions in the gateway's chain and the last one's hash */
  chain: { seqs: number[]; lastHash: string };
  /** the record that holds the order's evidence, by its position in the evidence store's hold chain; absent when not held */
  hold?: { seq: number; hash: string };
  files: ManifestFile[];
}

/**
 * Writes an evidence package into `dir`: the evidence (snapshots, clips, frames from the alert,
 * photos of the work), the order with its signatures (`order.json`), its record chain
 * (`history.json`), and `manifest.json` with every file's SHA-256 and the records' chain positions,
 * for the police or a court. A held order's evidence is still in the store, whatever its age.
 */
export function writePackage(dir: string, order: WorkOrder, history: OrderRecord[], evidence: EvidenceStore, now = Date.now()): Manifest {
  mkdirSync(join(dir, "evidence"), { recursive: true });
  const wanted = [
    ...order.evidence.map((e, i) => ({ name: `${e.role}-${i + 1}`, sha256: e.sha256, id: e.id })),
    ...order.photos.map((p, i) => ({ name: `photo-${i + 1}`, sha256: p.sha256, id: p.evidenceId })),
  ];
  for (const w of wanted) {
    const rec = (w.id ? evidence.get(w.id) : undefined) ?? evidence.bySha256(w.sha256);
    if (!rec || !existsSync(evidence.path(rec))) continue; // never fetched, or gone with retention before any hold
    copyFileSync(evidence.path(rec), join(dir, "evidence", `${w.name}.${extensionOf(rec.mime)}`));
  }
  writeFileSync(join(dir, "order.json"), `${JSON.stringify(order, null, 2)}\n`);
  writeFileSync(join(dir, "history.json"), `${JSON.stringify(history, null, 2)}\n`);
  const hold = evidence.holds.current(orderSubject(order.id));
  const manifest: Manifest = {
    orderId: order.id,
    ...(order.alertId ? { alertId: order.alertId } : {}),
    exportedAt: now,
    chain: { seqs: history.map((r) => r.seq), lastHash: history.at(-1)?.hash ?? "" },
    ...(hold ? { hold: { seq: hold.seq, hash: hold.hash } } : {}),
    files: manifestFiles(dir),
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Checks a package against its manifest; the problems, none when it verifies. */
export function verifyPackage(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  const problems = checkFiles(dir, manifest.files);
  const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as OrderRecord[];
  if (history.at(-1)?.hash !== manifest.chain.lastHash) problems.push("history.json: its last record is not the manifest's");
  return problems;
}
