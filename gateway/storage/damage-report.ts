import { isAbsolute, relative, resolve } from "node:path";
import type { Logger } from "pino";
import type { GatewayMetrics } from "../metrics.ts";
import { onQuarantined, type Quarantined } from "./quarantine.ts";

/**
 * Reports the quarantines of files under this gateway's data dir: an error log line naming the
 * file, where it went and why, and `linli_state_quarantined_total{store}`. Files of other data
 * dirs (another gateway in the same process, a CLI command) are theirs to report; `announce` gets
 * each of this gateway's (for the bus, hence staff). Returns the unsubscribe.
 */
export function reportStateDamage(dataDir: string, log: Pick<Logger, "error">, metrics: Pick<GatewayMetrics, "stateQuarantined">, announce: (q: Quarantined) => void = () => {}): () => void {
  return onQuarantined((q) => {
    const rel = relative(resolve(dataDir), resolve(q.file));
    if (rel.startsWith("..") || isAbsolute(rel)) return;
    log.error({ store: q.store, file: q.file, movedTo: q.movedTo, reason: q.reason }, `damaged ${q.store} database moved aside; starting with a fresh one`);
    metrics.stateQuarantined(q.store);
    announce(q);
  });
}
