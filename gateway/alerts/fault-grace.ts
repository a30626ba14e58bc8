import type { GatewayEvents } from "../events.ts";

type LiftAlert = GatewayEvents["lift.alert"];

/**
 * Holds back a lift fault until it has lasted `graceMs`: a detector still loading its model at
 * start, or one late frame, clears within a second and is not worth a guard's attention. The guard
 * itself still refuses to hold from the first moment of a fault; only the alert waits.
 */
export class FaultGrace {
  readonly #pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly graceMs: number,
    private readonly forward: (alert: LiftAlert) => void,
  ) {}

  handle(alert: LiftAlert): void {
    const key = `${alert.site}/${alert.lift}`;
    if (alert.kind === "fault" && this.graceMs > 0) {
      if (this.#pending.has(key)) return;
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        this.forward(alert);
      }, this.graceMs);
      timer.unref();
      this.#pending.set(key, timer);
      return;
    }
    const pending = this.#pending.get(key);
    if (alert.kind === "fault_cleared" && pending) {
      // cleared within the grace: no alert was raised, so there is nothing to resolve either
      clearTimeout(pending);
      this.#pending.delete(key);
      return;
    }
    this.forward(alert);
  }

  stop(): void {
    for (const t of this.#pending.values()) clearTimeout(t);
    this.#pending.clear();
  }
}
