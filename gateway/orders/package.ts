import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { EvidenceStore } from "../evidence/store.ts";
import { sha256File, type HeldEvidence } from "./held.ts";
import type { OrderRecord, WorkOrder } from "./types.ts";

const EXT: Record<string, string> = { "image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4" };

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}

/** What a package says about itself: every file's SHA-256, and where its records sit in the chain. */
export interface Manifest {
  orderId: string;
  alertId?: string;
  exportedAt: number;
  /** the order's records: their positions in the gateway's chain and the last one's hash */
  chain: { seqs: number[]; lastHash: string };
  files: ManifestFile[];
}

/**
 * Writes an evidence package into `dir`: the evidence (snapshots, clips, frames from the alert,
 * photos of the work), the order with its signatures (`order.json`), its record chain
 * (`history.json`), and `manifest.json` with every file's SHA-256 and the records' chain positions,
 * for the police or a court. Evidence comes from the legal hold when held, else from the store.
 */
export function writePackage(dir: string, order: WorkOrder, history: OrderRecord[], evidence: EvidenceStore, held: HeldEvidence, now = Date.now()): Manifest {
  mkdirSync(join(dir, "evidence"), { recursive: true });
  const wanted = [
    ...order.evidence.map((e, i) => ({ name: `${e.role}-${i + 1}`, sha256: e.sha256, id: e.id, mime: e.mime })),
    ...order.photos.map((p, i) => ({ name: `photo-${i + 1}`, sha256: p.sha256, id: p.evidenceId, mime: p.mime })),
  ];
  for (const w of wanted) {
    const rec = w.id ? evidence.get(w.id) : undefined;
    const source = held.has(w.sha256) ? held.path(w.sha256) : rec ? evidence.path(rec) : undefined;
    if (!source || !existsSync(source)) continue; // never fetched, or gone with retention before any hold
    copyFileSync(source, join(dir, "evidence", `${w.name}.${EXT[w.mime ?? rec?.mime ?? ""] ?? "bin"}`));
  }
  writeFileSync(join(dir, "order.json"), `${JSON.stringify(order, null, 2)}\n`);
  writeFileSync(join(dir, "history.json"), `${JSON.stringify(history, null, 2)}\n`);
  const manifest: Manifest = {
    orderId: order.id,
    ...(order.alertId ? { alertId: order.alertId } : {}),
    exportedAt: now,
    chain: { seqs: history.map((r) => r.seq), lastHash: history.at(-1)?.hash ?? "" },
    files: listFiles(dir).map((path) => ({ path, sha256: sha256File(join(dir, path)), size: statSync(join(dir, path)).size })),
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Checks a package against its manifest; the problems, none when it verifies. */
export function verifyPackage(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  const problems: string[] = [];
  for (const f of manifest.files) {
    const file = join(dir, f.path);
    if (!existsSync(file)) problems.push(`${f.path}: missing`);
    else if (sha256File(file) !== f.sha256) problems.push(`${f.path}: SHA-256 does not match the manifest`);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const path of listFiles(dir)) if (!listed.has(path)) problems.push(`${path}: not in the manifest`);
  const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as OrderRecord[];
  if (history.at(-1)?.hash !== manifest.chain.lastHash) problems.push("history.json: its last record is not the manifest's");
  return problems;
}

/** Every file under `dir` but the manifest, as relative paths, sorted. */
function listFiles(dir: string, under = dir): string[] {
  return readdirSync(under, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, join(under, e.name)) : [relative(dir, join(under, e.name))]))
    .filter((p) => p !== "manifest.json")
    .sort();
}
