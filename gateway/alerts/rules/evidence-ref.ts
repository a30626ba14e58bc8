import { normaliseSha256 } from "../../evidence/store.ts";
import type { EvidenceRef } from "../types.ts";

/** A device's evidence reference, when it announced a SHA-256 (a URL alone cannot be verified). */
export function evidenceRef(role: EvidenceRef["role"], sha: string | undefined, url: string | undefined): EvidenceRef[] {
  const sha256 = normaliseSha256(sha);
  if (!sha256) return [];
  return [{ role, sha256, ...(url ? { url } : {}) }];
}
