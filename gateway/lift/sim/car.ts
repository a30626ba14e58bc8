import type { LiftState } from "../../../devices/lift.ts";

export type LiftMode = LiftState["mode"];
export type DoorState = LiftState["door"];
export type Direction = LiftState["direction"];

export interface CarTiming {
  /** how long doors stay fully open before they start closing, unless held (default 4 s) */
  doorDwellMs: number;
  /** how long doors take to open or to close (default 1 s) */
  doorMoveMs: number;
  /** travel time per floor (default 2 s) */
  msPerFloor: number;
  /** a lease further ahead than this is clamped to it (default 60 s): a stuck writer cannot hold for ever */
  maxLeaseMs: number;
}

export const defaultTiming: CarTiming = { doorDwellMs: 4_000, doorMoveMs: 1_000, msPerFloor: 2_000, maxLeaseMs: 60_000 };

export interface CarSnapshot {
  floor: number;
  door: DoorState;
  moving: boolean;
  direction: Direction;
  mode: LiftMode;
  /** the lease the controller has stored (epoch ms, 0 = none) */
  holdUntil: number;
  /** whether the controller is holding the doors right now (lease valid, car stopped, mode normal) */
  holdActive: boolean;
}

export type HoldWriteResult = "accepted" | "released" | "rejected_moving" | "rejected_mode";

type Phase = "idle" | "travel" | "opening" | "open" | "closing";

/**
 * One simulated car, advanced by tick(now). Pure apart from the clock it is handed, so tests can run
 * it on virtual time. A door-hold lease is honoured only while the car is stopped and in normal mode:
 * a write at any other time is refused, and a stored lease is dropped the moment the mode leaves
 * normal. The lease lapses by itself; nothing has to be written to end a hold.
 */
export class SimCar {
  readonly timing: CarTiming;
  floor: number;
  mode: LiftMode = "normal";
  holdUntil = 0;
  readonly announcements: { at: number; text: string }[] = [];
  #phase: Phase = "idle";
  #phaseUntil = 0;
  #target: number | null = null;
  #calls: number[] = [];
  /** time up to which the car has been advanced */
  #t = 0;

  constructor(
    readonly minFloor: number,
    readonly maxFloor: number,
    floor: number,
    timing: Partial<CarTiming> = {},
  ) {
    this.timing = { ...defaultTiming, ...timing };
    this.floor = floor;
  }

  get recallFloor(): number {
    return Math.max(this.minFloor, Math.min(1, this.maxFloor));
  }

  get door(): DoorState {
    return this.#phase === "idle" || this.#phase === "travel" ? "closed" : this.#phase;
  }

  get moving(): boolean {
    return this.#phase === "travel";
  }

  get direction(): Direction {
    if (this.#phase !== "travel" || this.#target === null) return "none";
    return this.#target > this.floor ? "up" : "down";
  }

  #held(t: number): boolean {
    return this.holdUntil > t && this.mode === "normal" && this.#phase !== "travel";
  }

  holdActive(now = this.#t): boolean {
    return this.#held(now);
  }

  snapshot(now = this.#t): CarSnapshot {
    return {
      floor: this.floor,
      door: this.door,
      moving: this.moving,
      direction: this.direction,
      mode: this.mode,
      holdUntil: this.holdUntil,
      holdActive: this.holdActive(now),
    };
  }

  /** A landing or car call; a call at the current floor opens the doors. Ignored outside normal mode. */
  call(floor: number, now: number): void {
    this.tick(now);
    if (this.mode !== "normal") return;
    const f = Math.min(this.maxFloor, Math.max(this.minFloor, Math.round(floor)));
    if (f === this.floor && (this.#phase === "open" || this.#phase === "closing")) {
      // someone presses the landing button while the doors are still there: they reopen / dwell again
      this.#begin(this.#phase === "open" ? "open" : "opening", now);
    } else if (!this.#calls.includes(f)) {
      this.#calls.push(f);
    }
    this.tick(now);
  }

  /** What the controller does with a HoldUntil write (epoch ms; 0 or a past time releases). */
  writeHold(until: number, now: number): HoldWriteResult {
    this.tick(now);
    if (until <= now) {
      this.holdUntil = 0;
      return "released";
    }
    if (this.mode !== "normal") return "rejected_mode";
    if (this.#phase === "travel") return "rejected_moving";
    this.holdUntil = Math.min(until, now + this.timing.maxLeaseMs);
    this.tick(now);
    return "accepted";
  }

  announce(text: string, now: number): void {
    this.tick(now);
    this.announcements.push({ at: now, text });
  }

  setMode(mode: LiftMode, now: number): void {
    this.tick(now);
    const was = this.mode;
    this.mode = mode;
    if (mode === "normal") {
      if (was !== "normal" && this.#phase === "open") this.#begin("open", now); // a fresh dwell
    } else {
      this.holdUntil = 0; // defence in depth: no hold survives a mode change
      this.#calls = [];
      if (mode === "fire") {
        this.#target = this.recallFloor; // recall to the main landing without stopping
        if (this.floor !== this.recallFloor && (this.#phase === "open" || this.#phase === "opening")) this.#begin("closing", now);
      } else {
        // inspection, out of service: stop at the next floor, doors closed
        if (this.#phase === "travel" && this.#target !== null) this.#target = this.floor + (this.#target > this.floor ? 1 : -1);
        else this.#target = null;
        if (this.#phase === "open" || this.#phase === "opening") this.#begin("closing", now);
      }
    }
    this.tick(now);
  }

  #begin(phase: Phase, t: number): void {
    this.#phase = phase;
    this.#phaseUntil =
      phase === "open" ? t + this.timing.doorDwellMs : phase === "travel" ? t + this.timing.msPerFloor : phase === "idle" ? t : t + this.timing.doorMoveMs;
  }

  /** Advances the car to `now`, one transition at a time at the time it was due. */
  tick(now: number): void {
    if (now < this.#t) now = this.#t; // time never runs backwards for the car
    for (let n = 0; n < 100_000 && this.#step(now); n++);
    this.#t = now;
    if (this.holdUntil !== 0 && this.holdUntil <= now) this.holdUntil = 0;
  }

  /** Applies the next transition due by `now`; returns false when the car is settled. */
  #step(now: number): boolean {
    const at = this.#phaseUntil;
    switch (this.#phase) {
      case "idle": {
        const t = Math.max(this.#t, at);
        if (this.#held(now)) {
          this.#begin("opening", now);
          return true;
        }
        const next = this.mode === "normal" ? (this.#target ?? this.#calls[0]) : this.#target;
        if (next === undefined || next === null) return false;
        if (next === this.floor) {
          this.#arrive(t);
          return true;
        }
        this.#target = next;
        this.#begin("travel", t);
        return true;
      }
      case "travel": {
        if (at > now || this.#target === null) return false;
        this.floor += this.#target > this.floor ? 1 : -1;
        if (this.floor === this.#target) this.#arrive(at);
        else this.#begin("travel", at);
        return true;
      }
      case "opening":
        if (at > now) return false;
        this.#begin("open", at);
        return true;
      case "open":
        if (this.mode === "fire" && this.floor === this.recallFloor) return false; // firefighter service: doors stay open
        if (at > now) return false;
        if (this.holdUntil > at && this.mode === "normal") {
          this.#phaseUntil = this.holdUntil; // held: look again when the lease ends (it may be renewed)
          return true;
        }
        this.#begin("closing", at);
        return true;
      case "closing":
        if (this.#held(now)) {
          this.#begin("opening", now); // a hold reopens closing doors, like the door-open button
          return true;
        }
        if (at > now) return false;
        this.#begin("idle", at);
        return true;
    }
  }

  #arrive(t: number): void {
    this.#target = null;
    this.#calls = this.#calls.filter((c) => c !== this.floor);
    if (this.mode === "normal" || this.mode === "fire") this.#begin(this.mode === "fire" && this.floor !== this.recallFloor ? "idle" : "opening", t);
    else this.#begin("idle", t);
  }
}
