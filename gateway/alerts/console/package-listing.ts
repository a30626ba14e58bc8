import type { EvidenceStore } from "../../evidence/store.ts";
import { packageContents, type AlertPackageContents } from "../package.ts";
import type { AlertStore } from "../store.ts";
import type { Alert } from "../types.ts";

/** One evidence file of the listing: its hash, and where the console serves its bytes. */
export interface ListedFile {
  role: string;
  sha256: string;
  mime: string;
  size: number;
  url: string;
}

/**
 * An alert's evidence package as the console hands it out: the records inline, the evidence files
 * as links with their SHA-256 (checked by whoever downloads them), and what the gateway no longer
 * has. `linli alerts package` writes the same as a folder with a manifest.
 */
export function packageListing(alert: Alert, store: AlertStore, evidence: EvidenceStore): AlertPackageContents & { files: ListedFile[]; absent: Array<{ role: string; sha256: string }> } {
  const files: ListedFile[] = [];
  const absent: Array<{ role: string; sha256: string }> = [];
  for (const ref of alert.evidence) {
    const rec = ref.id ? evidence.get(ref.id) : evidence.bySha256(ref.sha256);
    if (rec) files.push({ role: ref.role, sha256: rec.sha256, mime: rec.mime, size: rec.size, url: `/evidence/${rec.id}` });
    else absent.push({ role: ref.role, sha256: ref.sha256 });
  }
  return { ...packageContents(alert, store, evidence), files, absent };
}
