import type { Severity } from "./config.ts";

export type AlertState = "open" | "acknowledged" | "resolved";

/** Every alert type the rules raise; the console and the webhooks name them in Chinese and English. */
export type AlertType =
  | "throw"
  | "charger_over_temp"
  | "charger_over_current"
  | "charger_over_power"
  | "charger_smoke"
  | "charger_relay_welded"
  | "charger_offline"
  | "charger_command_failed"
  | "lift_hold"
  | "lift_hold_timeout"
  | "lift_fault"
  | "lift_false_holds"
  | "camera_fault"
  | "device_silent"
  | "ingest_backpressure"
  | "state_quarantined"
  | "parking_denied_plate";

/** Where it happened, as precisely as the source knows. */
export interface Place {
  site: string;
  building?: string;
  floor?: number;
  kind?: string;
  device: string;
  /** e.g. a charger port */
  port?: number;
}

/** A piece of evidence: a snapshot or clip, always with its SHA-256; `id` when the bytes are kept here. */
export interface EvidenceRef {
  role: "snapshot" | "clip" | "frame";
  sha256: string;
  /** id in the evidence store, when the gateway holds the bytes */
  id?: string;
  /** where the device said the bytes are */
  url?: string;
  mime?: string;
  /** false when fetched bytes did not match the SHA-256 the device sent */
  verified?: boolean;
}

export interface Alert {
  id: string;
  dedupKey: string;
  type: AlertType;
  severity: Severity;
  state: AlertState;
  place: Place;
  /** a short human line, e.g. "over_temp 92.5 (threshold 90)" */
  summary: string;
  /** the source event's details (ids, values) */
  details: Record<string, unknown>;
  evidence: EvidenceRef[];
  count: number;
  /** epoch ms: first and latest occurrence */
  createdAt: number;
  lastAt: number;
  escalatedAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  ackNote?: string;
  resolvedAt?: number;
  resolvedBy?: string;
  resolveNote?: string;
}

export type AlertEventKind = "opened" | "repeated" | "escalated" | "acknowledged" | "resolved" | "evidence";

/** `alert.changed` on the bus: the alert as it now is, and what happened to it. */
export interface AlertChange {
  event: AlertEventKind;
  alert: Alert;
  at: number;
}

/** What a rule produces from an event: an alert to open, or to count as a repeat. */
export interface AlertCandidate {
  type: AlertType;
  dedupKey: string;
  severity: Severity;
  place: Place;
  summary: string;
  details: Record<string, unknown>;
  evidence: EvidenceRef[];
  ts: number;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "alert.changed": AlertChange;
  }
}
