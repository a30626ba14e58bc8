import { randomBytes } from "node:crypto";
import { severities, type Severity } from "./config.ts";
import type { AlertStore } from "./store.ts";
import type { Alert, AlertCandidate, AlertChange, AlertEventKind, EvidenceRef } from "./types.ts";

export interface EngineOptions {
  dedupWindowMs: number;
  escalateAfterMs: number;
  escalateMinSeverity: Severity;
  now?: () => number;
}

export class AlertError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const MAX_EVIDENCE = 12;

export function severityRank(s: Severity): number {
  return severities.indexOf(s);
}

/** Ids sort by time and are safe as an MQTT topic level. */
function newId(now: number): string {
  return `al-${now.toString(36)}-${randomBytes(3).toString("hex")}`;
}

/**
 * Alert states and their rules: a candidate opens an alert or, with the same dedup key within the
 * window, counts as a repeat; open -> acknowledged -> resolved (or open -> resolved); an alert left
 * open past the escalation time is escalated once. Every change is saved before it is announced.
 */
export class AlertEngine {
  readonly #now: () => number;

  constructor(
    private readonly store: AlertStore,
    private readonly options: EngineOptions,
    private readonly announce: (change: AlertChange) => void,
  ) {
    this.#now = options.now ?? Date.now;
  }

  raise(c: AlertCandidate): AlertChange {
    const now = this.#now();
    const active = this.store.active(c.dedupKey);
    if (active && now - active.lastAt <= this.options.dedupWindowMs) {
      const evidence = [...active.evidence];
      for (const e of c.evidence) if (!evidence.some((x) => x.sha256 === e.sha256)) evidence.push(e);
      const alert: Alert = {
        ...active,
        count: active.count + 1,
        lastAt: now,
        summary: c.summary,
        details: c.details,
        evidence: evidence.slice(-MAX_EVIDENCE),
        severity: severityRank(c.severity) > severityRank(active.severity) ? c.severity : active.severity,
      };
      return this.#commit(alert, "repeated", now);
    }
    const alert: Alert = {
      id: newId(now),
      dedupKey: c.dedupKey,
      type: c.type,
      severity: c.severity,
      state: "open",
      place: c.place,
      summary: c.summary,
      details: c.details,
      evidence: c.evidence.slice(0, MAX_EVIDENCE),
      count: 1,
      createdAt: now,
      lastAt: now,
    };
    return this.#commit(alert, "opened", now);
  }

  acknowledge(id: string, by: string, note = ""): AlertChange {
    const alert = this.#get(id);
    if (alert.state !== "open") throw new AlertError(409, `alert ${id} is ${alert.state}`);
    const now = this.#now();
    return this.#commit({ ...alert, state: "acknowledged", acknowledgedAt: now, acknowledgedBy: by, ...(note ? { ackNote: note } : {}) }, "acknowledged", now, by, note);
  }

  resolve(id: string, by: string, note = ""): AlertChange {
    const alert = this.#get(id);
    if (alert.state === "resolved") throw new AlertError(409, `alert ${id} is already resolved`);
    const now = this.#now();
    return this.#commit({ ...alert, state: "resolved", resolvedAt: now, resolvedBy: by, ...(note ? { resolveNote: note } : {}) }, "resolved", now, by, note);
  }

  /** Resolves the unresolved alert with this key, when there is one (its cause went away). */
  resolveKey(dedupKey: string, by: string, note: string): AlertChange | undefined {
    const active = this.store.active(dedupKey);
    return active ? this.resolve(active.id, by, note) : undefined;
  }

  /** Replaces an evidence reference of an alert (the bytes were fetched and verified, say). */
  updateEvidence(id: string, ref: EvidenceRef): AlertChange | undefined {
    const alert = this.store.get(id);
    if (!alert) return undefined;
    const evidence = alert.evidence.map((e) => (e.sha256 === ref.sha256 && e.role === ref.role ? { ...e, ...ref } : e));
    return this.#commit({ ...alert, evidence }, "evidence", this.#now(), undefined, ref.id ? `${ref.role} ${ref.id}` : `${ref.role} not kept`);
  }

  /** Escalates every alert still open past the escalation time; returns the changes. */
  escalateDue(): AlertChange[] {
    const now = this.#now();
    const min = severityRank(this.options.escalateMinSeverity);
    return this.store
      .unresolved()
      .filter((a) => a.state === "open" && a.escalatedAt === undefined && severityRank(a.severity) >= min && now - a.createdAt >= this.options.escalateAfterMs)
      .map((a) => this.#commit({ ...a, escalatedAt: now }, "escalated", now));
  }

  #get(id: string): Alert {
    const alert = this.store.get(id);
    if (!alert) throw new AlertError(404, `no alert ${id}`);
    return alert;
  }

  #commit(alert: Alert, event: AlertEventKind, at: number, by?: string, note?: string): AlertChange {
    this.store.save(alert, { alertId: alert.id, at, event, ...(by ? { by } : {}), ...(note ? { note } : {}) });
    const change = { event, alert, at };
    this.announce(change);
    return change;
  }
}
