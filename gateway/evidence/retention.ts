import type { Logger } from "pino";
import type { EvidenceStore } from "./store.ts";

const DAY = 86_400_000;

/** Deletes evidence past its retention now and every `everyMs`: frames of residents are personal data. */
export function keepEvidenceFor(store: EvidenceStore, retentionDays: number, log: Logger, everyMs = 3_600_000): () => void {
  const sweep = () => {
    try {
      const removed = store.purge(Date.now() - retentionDays * DAY);
      if (removed > 0) log.info({ removed, retentionDays }, "evidence past its retention removed");
    } catch (err) {
      log.warn({ err }, "evidence purge failed");
    }
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
