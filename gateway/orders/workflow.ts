import { randomBytes } from "node:crypto";
import type { EvidenceRef, Place } from "../alerts/types.ts";
import { may } from "../staff/roles.ts";
import type { StaffRole } from "../staff/roles.ts";
import { contentSha256 } from "./chain.ts";
import type { OrdersConfig } from "./config.ts";
import type { OrderStore } from "./store.ts";
import type { CloseReason, OrderChange, OrderEvent, OrderPhoto, OrderType, WorkOrder } from "./types.ts";

export class OrderError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Who acts: a signed-in account, or the gateway itself (rules, escalation). */
export interface Actor {
  user: string;
  displayName: string;
  role: StaffRole | "system";
}

export const SYSTEM: Actor = { user: "system", displayName: "linli", role: "system" };

const WORKING = ["open", "assigned", "accepted", "in_progress"] as const;

export interface NewOrder {
  type: OrderType;
  place: Place;
  description: string;
  alertId?: string;
  evidence?: EvidenceRef[];
  assignee?: string;
}

const isSupervisor = (a: Actor) => a.role === "system" || may(a.role, "orders.all");

/** Whether an account may see an order: a supervisor every one, a technician those assigned to them. */
export function canSee(order: WorkOrder, a: Actor): boolean {
  return isSupervisor(a) || (a.role !== "system" && may(a.role, "orders.own") && order.assignee === a.user);
}

/**
 * The work order's states and who may move it: open -> assigned -> accepted -> in_progress -> done
 * (the worker's signature) -> signed_off (the supervisor's), or closed as a false alarm or a
 * duplicate. Every change is a record in the chain; an action names the version it saw, so a
 * replayed or stale request is refused.
 */
export class OrderWorkflow {
  constructor(
    private readonly store: OrderStore,
    private readonly cfg: OrdersConfig,
    private readonly changed: (change: OrderChange) => void,
    private readonly now: () => number = Date.now,
  ) {}

  create(input: NewOrder, by: Actor): WorkOrder {
    if (!isSupervisor(by)) throw new OrderError(403, "only a supervisor opens work orders");
    if (input.alertId) {
      const existing = this.store.byAlert(input.alertId);
      if (existing) throw new OrderError(409, `alert ${input.alertId} already has work order ${existing.id}`);
    }
    const at = this.now();
    const day = new Date(at).toISOString().slice(0, 10).replace(/-/g, "");
    let id: string;
    // short enough to read out on the phone; an id already taken (rare) is drawn again rather than overwritten
    do id = `WO-${day}-${randomBytes(4).toString("hex")}`;
    while (this.store.get(id));
    const order: WorkOrder = {
      id,
      type: input.type,
      state: "open",
      place: input.place,
      description: input.description,
      ...(input.alertId ? { alertId: input.alertId } : {}),
      evidence: input.evidence ?? [],
      createdBy: by.user,
      createdAt: at,
      dueAt: at + this.cfg.slaMinutes[input.type] * 60_000,
      photos: [],
      signatures: [],
      version: 0,
    };
    this.#record(order, by, "created", { type: order.type, place: order.place, description: order.description, alertId: order.alertId ?? null, dueAt: order.dueAt });
    return input.assignee ? this.assign(order.id, order.version, input.assignee, by) : order;
  }

  assign(id: string, version: number, assignee: string, by: Actor): WorkOrder {
    const o = this.#load(id, version, by);
    if (!isSupervisor(by)) throw new OrderError(403, "only a supervisor assigns work orders");
    this.#inState(o, WORKING);
    o.state = "assigned";
    o.assignee = assignee;
    delete o.remindedAt;
    delete o.escalatedAt;
    return this.#record(o, by, "assigned", { assignee });
  }

  accept(id: string, version: number, by: Actor): WorkOrder {
    const o = this.#asAssignee(id, version, by, ["assigned"]);
    o.state = "accepted";
    o.acceptedAt = this.now();
    return this.#record(o, by, "accepted", {});
  }

  start(id: string, version: number, by: Actor): WorkOrder {
    const o = this.#asAssignee(id, version, by, ["accepted"]);
    o.state = "in_progress";
    return this.#record(o, by, "started", {});
  }

  attachPhoto(id: string, version: number, photo: Omit<OrderPhoto, "by" | "at">, by: Actor): WorkOrder {
    const o = this.#load(id, version, by);
    if (!isSupervisor(by) && o.assignee !== by.user) throw new OrderError(403, "not your work order");
    this.#inState(o, ["accepted", "in_progress"]);
    o.photos.push({ ...photo, by: by.user, at: this.now() });
    return this.#record(o, by, "photo", { evidenceId: photo.evidenceId, sha256: photo.sha256 });
  }

  /** The worker signs the finished job. */
  done(id: string, version: number, png: string, note: string, by: Actor): WorkOrder {
    const o = this.#asAssignee(id, version, by, ["in_progress"]);
    o.state = "done";
    o.doneAt = this.now();
    return this.#sign(o, "worker", png, note, by, "done");
  }

  /** The supervisor signs it off; not the same person as the worker. */
  signOff(id: string, version: number, png: string, note: string, by: Actor): WorkOrder {
    const o = this.#load(id, version, by);
    if (by.role === "system" || !may(by.role, "orders.all")) throw new OrderError(403, "only a supervisor signs off");
    if (o.assignee === by.user) throw new OrderError(403, "the worker cannot sign off their own job");
    this.#inState(o, ["done"]);
    o.state = "signed_off";
    o.signedOffAt = this.now();
    return this.#sign(o, "supervisor", png, note, by, "signed_off");
  }

  close(id: string, version: number, reason: CloseReason, note: string, by: Actor): WorkOrder {
    const o = this.#load(id, version, by);
    if (!isSupervisor(by)) throw new OrderError(403, "only a supervisor closes work orders");
    this.#inState(o, WORKING);
    if (!note.trim()) throw new OrderError(400, "a reason is needed");
    o.state = "closed";
    o.closedReason = reason;
    o.closeNote = note;
    return this.#record(o, by, "closed", { reason, note });
  }

  /** Puts the order's evidence on legal hold (the caller has copied it: `held`), in any state. */
  hold(id: string, version: number, note: string, held: Array<{ sha256: string }>, by: Actor): WorkOrder {
    const o = this.#load(id, version, by);
    if (!isSupervisor(by)) throw new OrderError(403, "only a supervisor puts evidence on legal hold");
    if (!note.trim()) throw new OrderError(400, "a reason is needed (a case number, a request from the police)");
    o.legalHold = { at: this.now(), by: by.user, note };
    return this.#record(o, by, "held", { note, sha256: held.map((h) => h.sha256) });
  }

  /** Ends the order's legal hold (a court's release): an administrator's word only, with the reason; the caller releases the evidence store's hold. */
  release(id: string, version: number, note: string, by: Actor): WorkOrder {
    const o = this.#load(id, version, by);
    if (by.role === "system" || !may(by.role, "legal_hold.release")) throw new OrderError(403, "only an administrator releases a legal hold");
    if (!o.legalHold) throw new OrderError(409, "the work order is not on legal hold");
    if (!note.trim()) throw new OrderError(400, "a reason is needed (the court's or the police's release)");
    delete o.legalHold;
    return this.#record(o, by, "released", { note });
  }

  /** Overdue steps, from the escalation timer. */
  escalationStep(o: WorkOrder, event: "reminded" | "escalated"): WorkOrder {
    if (event === "reminded") o.remindedAt = this.now();
    else o.escalatedAt = this.now();
    return this.#record(o, SYSTEM, event, { assignee: o.assignee ?? null, dueAt: o.dueAt });
  }

  #sign(o: WorkOrder, as: "worker" | "supervisor", png: string, note: string, by: Actor, event: OrderEvent): WorkOrder {
    const signature = { as, by: by.user, byName: by.displayName, at: this.now(), contentSha256: contentSha256(o), png };
    o.signatures.push(signature);
    return this.#record(o, by, event, { signature, note });
  }

  #asAssignee(id: string, version: number, by: Actor, states: readonly string[]): WorkOrder {
    const o = this.#load(id, version, by);
    if (o.assignee !== by.user) throw new OrderError(403, "only the assignee does this");
    this.#inState(o, states);
    return o;
  }

  #load(id: string, version: number, by: Actor): WorkOrder {
    const o = this.store.get(id);
    // an order someone may not see answers as one that is not there
    if (!o || !canSee(o, by)) throw new OrderError(404, "no such work order");
    if (o.version !== version) throw new OrderError(409, "the work order changed since this page loaded (or the request was replayed): reload");
    return o;
  }

  #inState(o: WorkOrder, states: readonly string[]): void {
    if (!states.includes(o.state)) throw new OrderError(409, `not possible while the work order is ${o.state}`);
  }

  #record(o: WorkOrder, by: Actor, event: OrderEvent, data: Record<string, unknown>): WorkOrder {
    const record = this.store.append(o, { at: this.now(), by: by.user, event, data });
    this.changed({ order: o, record });
    return o;
  }
}
