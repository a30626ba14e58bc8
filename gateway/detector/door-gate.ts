import type { CarState } from "../lift/controller/link.ts";

/** Why a frame of a lift whose car cannot be held now waits for the low rate. */
export type SkipReason = "doors_closed" | "moving" | "not_normal";

function whyNotHoldable(car: CarState): SkipReason | undefined {
  if (car.mode !== "normal") return "not_normal";
  if (car.moving) return "moving";
  if (car.door !== "open" && car.door !== "opening") return "doors_closed";
  return undefined;
}

/**
 * Door-aware judging: frames of a lift whose car could be held (doors open or opening, stopped,
 * normal mode) are all judged; the others one per `idleMs`, so 30 lifts cost what their open doors
 * cost. A lift whose car state is unknown is judged in full: the gateway cannot tell, and the guard
 * decides for itself. `idleMs` must stay below the guard's frameStaleMs, or a closed car would read
 * as a dead camera.
 */
export class DoorAwareGate {
  readonly #cars = new Map<string, CarState>();
  readonly #lastJudged = new Map<string, number>();

  constructor(private readonly idleMs: number) {}

  car(lift: string, state: CarState | null): void {
    if (state) this.#cars.set(lift, state);
    else this.#cars.delete(lift);
  }

  /** Whether the lift's car could be held now (its frames go first); false when unknown. */
  holdable(lift: string): boolean {
    const car = this.#cars.get(lift);
    return car !== undefined && whyNotHoldable(car) === undefined;
  }

  /** Undefined when the frame is to be judged (and it is counted as judged now), else why it is skipped. */
  admit(lift: string, now: number): SkipReason | undefined {
    const car = this.#cars.get(lift);
    const why = car ? whyNotHoldable(car) : undefined;
    if (why !== undefined && now - (this.#lastJudged.get(lift) ?? -Infinity) < this.idleMs) return why;
    this.#lastJudged.set(lift, now);
    return undefined;
  }
}

/** Skipped frames per lift and reason, written as one point per pair every flush instead of one per frame. */
export class SkipTally {
  #counts = new Map<string, { lift: string; reason: SkipReason; count: number }>();

  add(lift: string, reason: SkipReason): void {
    const key = `${lift}\u0001${reason}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else this.#counts.set(key, { lift, reason, count: 1 });
  }

  /** What was counted since the last take, and a fresh start. */
  take(): { lift: string; reason: SkipReason; count: number }[] {
    const out = [...this.#counts.values()];
    this.#counts = new Map();
    return out;
  }
}
