import type { EvidenceStore } from "../evidence/store.ts";
import type { HoldRecord } from "../evidence/holds.ts";
import { AlertError } from "./engine.ts";
import type { AlertStore } from "./store.ts";
import type { Alert } from "./types.ts";

/** The evidence store's name for an alert's hold. */
export const holdSubject = (alertId: string) => `alert:${alertId}`;

/**
 * Legal hold on an alert (a throw the police ask about): its snapshots and clip stay in the
 * evidence store past retention, and its record, trail and source events stay in the alert store
 * past `historyDays`, until an administrator releases it. Each step is a record in the evidence
 * store's hold chain and a line in the alert's trail.
 */
export class AlertHolds {
  constructor(
    private readonly store: AlertStore,
    private readonly evidence: EvidenceStore,
  ) {}

  hold(alertId: string, by: string, reason: string, now = Date.now()): HoldRecord {
    const alert = this.#alert(alertId);
    const record = this.evidence.holds.hold(holdSubject(alertId), this.#kept(alert), by, reason, now);
    this.store.setHeld(alertId, true, now);
    this.store.append({ alertId, at: now, event: "held", by, note: record.reason });
    return record;
  }

  release(alertId: string, by: string, reason: string, now = Date.now()): HoldRecord {
    this.#alert(alertId);
    const record = this.evidence.holds.release(holdSubject(alertId), by, reason, now);
    this.store.setHeld(alertId, false, now);
    this.store.append({ alertId, at: now, event: "released", by, note: record.reason });
    return record;
  }

  /** Holds evidence that reached a held alert after the hold (a clip fetched once the camera answered). */
  follow(alert: Alert, now = Date.now()): void {
    this.evidence.holds.add(holdSubject(alert.id), this.#kept(alert), "system", now);
  }

  /** The record that holds the alert now, if it is held. */
  current(alertId: string): HoldRecord | undefined {
    return this.evidence.holds.current(holdSubject(alertId));
  }

  #alert(id: string): Alert {
    const alert = this.store.get(id);
    if (!alert) throw new AlertError(404, `no alert ${id}`);
    return alert;
  }

  /** The alert's evidence whose bytes the store has (a snapshot never fetched cannot be held). */
  #kept(alert: Alert): Array<{ id: string; sha256: string }> {
    return alert.evidence.flatMap((e) => (e.id && this.evidence.get(e.id) ? [{ id: e.id, sha256: e.sha256 }] : []));
  }
}
