import type { EvidenceRef, Place } from "../alerts/types.ts";

export const ORDER_TYPES = ["repair", "inspection", "incident", "complaint"] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const ORDER_STATES = ["open", "assigned", "accepted", "in_progress", "done", "signed_off", "closed"] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const CLOSE_REASONS = ["false_alarm", "duplicate"] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** A photo of the work, kept in the evidence store. */
export interface OrderPhoto {
  evidenceId: string;
  sha256: string;
  mime: string;
  by: string;
  at: number;
}

/** A drawn signature: who, when, and the SHA-256 of the order's content it signed. */
export interface OrderSignature {
  as: "worker" | "supervisor";
  by: string;
  byName: string;
  at: number;
  contentSha256: string;
  /** the drawing, a PNG as base64 */
  png: string;
}

export interface WorkOrder {
  id: string;
  type: OrderType;
  state: OrderState;
  place: Place;
  description: string;
  /** the alert it came from, when it did */
  alertId?: string;
  evidence: EvidenceRef[];
  /** the assignee's login */
  assignee?: string;
  createdBy: string;
  createdAt: number;
  dueAt: number;
  acceptedAt?: number;
  doneAt?: number;
  signedOffAt?: number;
  closedReason?: CloseReason;
  closeNote?: string;
  photos: OrderPhoto[];
  signatures: OrderSignature[];
  /** under legal hold: its evidence is kept beyond the evidence store's retention (a hold in gateway/evidence/holds.ts) */
  legalHold?: { at: number; by: string; note: string };
  /** overdue escalation steps taken: the assignee reminded, then the supervisor told */
  remindedAt?: number;
  escalatedAt?: number;
  /** the order's last record in the chain: an action must name it, so a replayed request is refused */
  version: number;
}

export type OrderEvent = "created" | "assigned" | "accepted" | "started" | "photo" | "done" | "signed_off" | "closed" | "reminded" | "escalated" | "held" | "released";

/** One entry of the append-only record chain (gateway/orders/chain.ts). */
export interface OrderRecord {
  seq: number;
  orderId: string;
  at: number;
  by: string;
  event: OrderEvent;
  /** what the event changed, with a signature when it is one */
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface OrderChange {
  order: WorkOrder;
  record: OrderRecord;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "order.changed": OrderChange;
  }
}
