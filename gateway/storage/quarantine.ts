/** A state file found damaged at open, and where it was moved. */
export interface Quarantined {
  /** the store's name, as in `linli_state_quarantined_total{store}` */
  store: string;
  file: string;
  movedTo: string;
  reason: string;
  at: number;
}

type Listener = (q: Quarantined) => void;

const listeners = new Set<Listener>();

/**
 * Quarantines as they happen, for whoever reports them. The stores that open the files know no
 * logger or metrics (and are opened by several callers), so the news goes through here; a
 * listener picks the files it owns by path. Returns the unsubscribe.
 */
export function onQuarantined(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function announceQuarantined(q: Quarantined): void {
  // a CLI command opens stores with no gateway to report for it: the news still reaches stderr
  if (listeners.size === 0) process.emitWarning(`damaged ${q.store} database ${q.file} moved aside to ${q.movedTo} (${q.reason}); a fresh one replaces it`, "StateQuarantined");
  for (const listener of listeners) listener(q);
}
