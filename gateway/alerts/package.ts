import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { holdHash, verifyHoldChain, type HoldRecord } from "../evidence/holds.ts";
import { checkFiles, manifestFiles, type ManifestFile } from "../evidence/manifest.ts";
import { extensionOf, type EvidenceStore } from "../evidence/store.ts";
import { holdSubject } from "./legal-hold.ts";
import type { AlertStore, LogEntry, SourceEvent } from "./store.ts";
import type { Alert, EvidenceRef } from "./types.ts";

/** What an alert's package says about itself: every file's SHA-256, and where its hold sits in the gateway's hold chain. */
export interface AlertManifest {
  alertId: string;
  exportedAt: number;
  /** the record that holds the alert now, by its position in the evidence store's hold chain; null when it is not held */
  hold: { seq: number; hash: string; at: number; by: string; reason: string } | null;
  /** every hold record of the alert (holds.json): their positions in the chain and the last one's hash */
  chain: { seqs: number[]; lastHash: string };
  /** evidence the alert names whose bytes the gateway does not have (never fetched, or gone with retention before a hold) */
  absent: Array<{ role: EvidenceRef["role"]; sha256: string }>;
  files: ManifestFile[];
}

export interface AlertPackageContents {
  alert: Alert;
  /** the alert's trail: opened, repeated, escalated, acknowledged, resolved, evidence, held, released */
  history: LogEntry[];
  /** the device events it was raised from (a throw's track) */
  sources: SourceEvent[];
  /** work orders made from it, with their records */
  orders: Array<{ order: unknown; records: unknown[] }>;
  holds: HoldRecord[];
}

/** Everything the stores keep about an alert, for its package. */
export function packageContents(alert: Alert, store: AlertStore, evidence: EvidenceStore): AlertPackageContents {
  return { alert, history: store.log(alert.id), sources: store.sources(alert.id), orders: store.orders(alert.id), holds: evidence.holds.records(holdSubject(alert.id)) };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Writes an alert's evidence package into `dir`, for the police or a court: `alert.json`,
 * `history.json`, `events.json`, `holds.json`, `orders.json` when work orders were made from it,
 * the evidence files under `evidence/`, and `manifest.json` with every file's SHA-256 and the hold's
 * chain position.
 */
export function writeAlertPackage(dir: string, c: AlertPackageContents, evidence: EvidenceStore, now = Date.now()): AlertManifest {
  mkdirSync(join(dir, "evidence"), { recursive: true });
  const absent: AlertManifest["absent"] = [];
  const counts = new Map<string, number>();
  for (const ref of c.alert.evidence) {
    const rec = ref.id ? evidence.get(ref.id) : evidence.bySha256(ref.sha256);
    if (!rec || !existsSync(evidence.path(rec))) {
      absent.push({ role: ref.role, sha256: ref.sha256 });
      continue;
    }
    const n = (counts.get(ref.role) ?? 0) + 1;
    counts.set(ref.role, n);
    copyFileSync(evidence.path(rec), join(dir, "evidence", `${ref.role}-${n}.${extensionOf(rec.mime)}`));
  }
  writeFileSync(join(dir, "alert.json"), json(c.alert));
  writeFileSync(join(dir, "history.json"), json(c.history));
  writeFileSync(join(dir, "events.json"), json(c.sources));
  writeFileSync(join(dir, "holds.json"), json(c.holds));
  if (c.orders.length > 0) writeFileSync(join(dir, "orders.json"), json(c.orders));
  const last = c.holds.at(-1);
  const current = last?.event === "released" ? undefined : [...c.holds].reverse().find((r) => r.event === "held");
  const manifest: AlertManifest = {
    alertId: c.alert.id,
    exportedAt: now,
    hold: current ? { seq: current.seq, hash: current.hash, at: current.at, by: current.by, reason: current.reason } : null,
    chain: { seqs: c.holds.map((r) => r.seq), lastHash: last?.hash ?? "" },
    absent,
    files: manifestFiles(dir),
  };
  writeFileSync(join(dir, "manifest.json"), json(manifest));
  return manifest;
}

/**
 * Checks a package against its manifest: every file's SHA-256, no file missing or added, each hold
 * record's hash over its content. With the gateway's hold chain (`chain`), also that the chain is
 * intact and holds the package's records at their positions. The problems, none when it verifies.
 */
export function verifyAlertPackage(dir: string, chain?: HoldRecord[]): string[] {
  const manifestFile = join(dir, "manifest.json");
  if (!existsSync(manifestFile)) return ["manifest.json: missing"];
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as AlertManifest;
  const problems = checkFiles(dir, manifest.files);
  if (!existsSync(join(dir, "holds.json"))) return problems;
  const holds = JSON.parse(readFileSync(join(dir, "holds.json"), "utf8")) as HoldRecord[];
  for (const { hash, ...rest } of holds) if (holdHash(rest) !== hash) problems.push(`holds.json: record ${rest.seq} does not match its hash`);
  if ((holds.at(-1)?.hash ?? "") !== manifest.chain.lastHash) problems.push("holds.json: its last record is not the manifest's");
  if (chain) {
    const broken = verifyHoldChain(chain);
    if (broken) problems.push(`the gateway's hold chain: record ${broken.seq} ${broken.problem}`);
    const bySeq = new Map(chain.map((r) => [r.seq, r.hash]));
    for (const r of holds) if (bySeq.get(r.seq) !== r.hash) problems.push(`holds.json: record ${r.seq} is not the gateway's record ${r.seq}`);
  }
  return problems;
}
