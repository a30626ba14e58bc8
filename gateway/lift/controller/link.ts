import type { LiftState } from "../../../devices/lift.ts";

/** What the guard needs to know of a car: the safety-relevant part of the lift state. */
export type CarState = Pick<LiftState, "floor" | "door" | "moving" | "direction" | "mode">;

export interface WriteResult {
  ok: boolean;
  /** epoch ms when the controller (or the broker, for a relay box) acknowledged the write */
  at: number;
  detail?: string;
}

/**
 * The gateway's view of a lift controller, whatever carries it (OPC UA, an MQTT relay box). A hold
 * is always a lease: "keep the doors open until epoch ms T". It is renewed while wanted, and it lapses
 * by itself when the gateway stops renewing it (crash, network loss), so no failure of the gateway
 * can keep a car stopped for longer than one lease.
 */
export interface LiftLink {
  readonly kind: "opcua" | "relay" | "none";
  /** true when the link reports car state itself (OPC UA); otherwise the guard uses lift/<id>/state messages */
  readonly providesState: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Starts following a lift's state (idempotent). */
  watch(liftId: string): void;
  /**
   * State changes of watched lifts as the controller reports them; null means unknown (link down,
   * lift not reachable). The link keeps no car state of its own: the guard runner does. Returns unsubscribe.
   */
  onState(listener: (liftId: string, state: CarState | null) => void): () => void;
  /** Writes the lease "hold the doors until `until`" (epoch ms). */
  hold(liftId: string, until: number): Promise<WriteResult>;
  /** Ends a hold now (writes a lease in the past). */
  release(liftId: string): Promise<WriteResult>;
  /** Asks the car to play a voice announcement. */
  announce(liftId: string, text: string): Promise<WriteResult>;
}

/** A link to nothing: the guard observes and records, but never holds. */
export class NoLink implements LiftLink {
  readonly kind = "none" as const;
  readonly providesState = false;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  watch(): void {}
  onState(): () => void {
    return () => {};
  }
  async hold(): Promise<WriteResult> {
    return { ok: false, at: Date.now(), detail: "no lift link configured" };
  }
  async release(): Promise<WriteResult> {
    return { ok: true, at: Date.now() };
  }
  async announce(): Promise<WriteResult> {
    return { ok: false, at: Date.now(), detail: "no lift link configured" };
  }
}

/** Rejects after `ms` so a write to an unreachable controller never stalls the guard. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
