import type { GatewayEvents } from "../events.ts";

/** Whether a car state asks for the full frame rate: doors open or opening, car stopped, normal mode. */
export function wantsFullRate(state: GatewayEvents["lift.car"]["state"]): boolean {
  return state !== null && (state.door === "open" || state.door === "opening") && !state.moving && state.mode === "normal";
}

/**
 * Decides which of ffmpeg's frames (delivered at `fps.open`) go on to the detector. At the full rate
 * every frame does. At the idle rate one per idle interval does, on a schedule kept from the last one
 * forwarded rather than reset by each, so jitter in arrival does not lower the rate; half a source
 * frame of slack keeps a frame that arrives a hair early from costing a whole interval.
 */
export class RateGate {
  #full = false;
  /** the earliest time the next idle-rate frame may pass; 0: the next frame passes */
  #nextAt = 0;
  readonly #idleMs: number;
  readonly #slackMs: number;

  constructor(fps: { open: number; idle: number }) {
    this.#idleMs = 1000 / fps.idle;
    this.#slackMs = 500 / fps.open;
  }

  /** The car changed: opening doors let the very next frame through, whatever the schedule said. */
  setFull(full: boolean): void {
    if (full && !this.#full) this.#nextAt = 0;
    this.#full = full;
  }

  pass(now: number): boolean {
    if (this.#full) {
      this.#nextAt = now + this.#idleMs;
      return true;
    }
    if (now < this.#nextAt - this.#slackMs) return false;
    // after a gap longer than an interval the schedule starts again from now instead of catching up in a burst
    this.#nextAt = this.#nextAt !== 0 && now - this.#nextAt < this.#idleMs ? this.#nextAt + this.#idleMs : now + this.#idleMs;
    return true;
  }
}
