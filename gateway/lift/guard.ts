// Over ~250 lines on purpose: one state machine, whose safety rules are only checkable side by side.
import type { CarState } from "./controller/link.ts";

/** The guard's settings for one lift (the config, with per-lift overrides applied). */
export interface GuardSettings {
  /** false: observe and record, never hold (lift disabled in config, or no controller link) */
  canHold: boolean;
  confirmN: number;
  confirmM: number;
  /** null: the model's threshold that comes with each observation */
  threshold: number | null;
  leaseMs: number;
  renewMs: number;
  clearReleaseMs: number;
  maxHoldMs: number;
  frameStaleMs: number;
  /** car state older than this is unknown (Infinity when the link pushes state and reports loss itself) */
  stateStaleMs: number;
  announcement: string;
  announceRepeatMs: number;
}

/** One judged frame, as the guard needs it. */
export interface Observation {
  /** the frame's time (camera's, else the gateway's receive time): the start of the latency budget */
  frameTs: number;
  /** best e-bike score of the frame (0 when none) */
  score: number;
  /** the model's own threshold, used unless the config sets one */
  modelThreshold?: number;
  /** the frame bytes, when the detector attached them (e-bike frames); kept for the best frame as evidence */
  image?: { data: Buffer; format: "jpeg" | "png" };
}

export type EndReason = "cleared" | "staff" | "max_hold" | "fault" | "safety";

export interface BestFrame {
  frameTs: number;
  score: number;
  image?: { data: Buffer; format: "jpeg" | "png" };
}

export interface ActiveHold {
  id: string;
  startedAt: number;
  /** the frame whose verdict confirmed the e-bike (latency is measured from it) */
  triggerFrameTs: number;
  /** what completed the conditions: a frame's verdict, or the car (doors opening on an e-bike already confirmed) */
  trigger: "frame" | "car";
  /** the highest-scoring frame of the hold: its score is the hold's peak score */
  best: BestFrame;
  leaseUntil: number;
  lastWriteAt: number;
  lastAnnounceAt: number;
}

export type GuardAction =
  | { type: "hold"; until: number; hold: ActiveHold; first: boolean }
  | { type: "release"; hold: ActiveHold | null }
  | { type: "announce"; text: string }
  | { type: "hold_started"; hold: ActiveHold }
  | { type: "hold_ended"; hold: ActiveHold; reason: EndReason; endedAt: number; detail: string }
  | { type: "alert"; kind: "max_hold" | "fault" | "fault_cleared"; detail: string; hold?: ActiveHold };

export type FaultReason = string;

export interface GuardStatus {
  holding: boolean;
  hold: { id: string; startedAt: number; peakScore: number; leaseUntil: number } | null;
  fault: string | null;
  disabledUntil: number;
  rearmAfterClear: boolean;
  car: CarState | null;
  lastFrameAt: number | null;
  window: number[];
}

/**
 * The lift guard of one lift: a pure state machine over judged frames, detector faults, car state,
 * staff commands and the clock (every method takes `now`; nothing here reads a clock or does I/O).
 * It returns the actions to carry out: write or release the lease, announce, record, alert.
 *
 * - Confirm: N of the last M frames at or above the threshold, the newest among them.
 * - Hold only when the car is stopped, doors open or opening, mode normal, the detector healthy
 *   (a verdict within frameStaleMs, no fault since) and the guard not disabled by staff.
 * - Holding: renew the lease every renewMs; release when no frame has passed the threshold for
 *   clearReleaseMs (cleared), at maxHoldMs (max_hold, alert), on any detector fault or stale frames
 *   (fault), when the car moves or leaves normal mode or its state is unknown (safety), or on a
 *   staff command (staff). After max_hold and staff release, it re-arms only once the car has been
 *   clear for clearReleaseMs, so a lasting false positive cannot hold the lift again and again.
 */
export class LiftGuard {
  readonly liftId: string;
  settings: GuardSettings;
  #window: { frameTs: number; score: number; high: boolean; image?: BestFrame["image"] }[] = [];
  #lastFrameAt: number | null = null;
  #lastHighAt: number | null = null;
  #detectorFault: string | null = null;
  #reportedFault: string | null = null;
  #car: CarState | null = null;
  #carAt = 0;
  #disabledUntil = 0;
  #rearmAfterClear = false;
  #hold: ActiveHold | null = null;
  readonly #createdAt: number;
  #seq = 0;
  constructor(liftId: string, settings: GuardSettings, now: number) {
    this.liftId = liftId;
    this.settings = settings;
    this.#createdAt = now;
  }

  get holding(): boolean {
    return this.#hold !== null;
  }

  get hold(): ActiveHold | null {
    return this.#hold;
  }

  status(now: number): GuardStatus {
    return {
      holding: this.#hold !== null,
      hold: this.#hold && { id: this.#hold.id, startedAt: this.#hold.startedAt, peakScore: this.#hold.best.score, leaseUntil: this.#hold.leaseUntil },
      fault: this.#faultReason(now),
      disabledUntil: this.#disabledUntil > now ? this.#disabledUntil : 0,
      rearmAfterClear: this.#rearmAfterClear,
      car: this.#car,
      lastFrameAt: this.#lastFrameAt,
      window: this.#window.map((w) => w.score),
    };
  }

  #threshold(modelThreshold: number | undefined): number {
    return this.settings.threshold ?? modelThreshold ?? 0.5;
  }

  /** A judged frame. */
  observe(obs: Observation, now: number): GuardAction[] {
    const high = Number.isFinite(obs.score) && obs.score >= this.#threshold(obs.modelThreshold);
    this.#window.push({ frameTs: obs.frameTs, score: obs.score, high, ...(obs.image ? { image: obs.image } : {}) });
    while (this.#window.length > this.settings.confirmM) this.#window.shift();
    this.#lastFrameAt = now;
    this.#detectorFault = null;
    if (high) this.#lastHighAt = now;
    const hold = this.#hold;
    if (hold && high && obs.score > hold.best.score) {
      hold.best = { frameTs: obs.frameTs, score: obs.score, ...(obs.image ? { image: obs.image } : {}) };
    }
    return this.tick(now, obs.frameTs);
  }

  /** The detector could not judge this lift's frames (model missing, inference failed, bad frame). */
  fault(reason: FaultReason, now: number): GuardAction[] {
    this.#detectorFault = reason;
    this.#window = []; // a verdict from before a fault never counts towards a hold after it
    return this.tick(now);
  }

  /** Car state from the controller (null: unknown). */
  carState(state: CarState | null, now: number): GuardAction[] {
    this.#car = state;
    this.#carAt = now;
    return this.tick(now);
  }

  staffRelease(now: number): GuardAction[] {
    const out: GuardAction[] = [];
    if (this.#hold) {
      this.#rearmAfterClear = true;
      this.#end("staff", now, "released by staff", out);
    }
    return out;
  }

  staffDisable(until: number, now: number): GuardAction[] {
    this.#disabledUntil = until;
    const out: GuardAction[] = [];
    if (this.#hold) this.#end("staff", now, "guard disabled by staff", out);
    return out;
  }

  staffEnable(now: number): GuardAction[] {
    this.#disabledUntil = 0;
    return this.tick(now);
  }

  /** Shutdown: release any hold now rather than leave it to lapse. */
  shutdown(now: number): GuardAction[] {
    const out: GuardAction[] = [];
    if (this.#hold) this.#end("fault", now, "gateway stopping", out);
    return out;
  }

  #faultReason(now: number): string | null {
    if (this.#detectorFault) return this.#detectorFault;
    const since = this.#lastFrameAt ?? this.#createdAt;
    if (now - since > this.settings.frameStaleMs) return this.#lastFrameAt === null ? "no_frames" : "frames_stale";
    return null;
  }

  #carUsable(now: number): CarState | null {
    if (!this.#car || now - this.#carAt > this.settings.stateStaleMs) return null;
    return this.#car;
  }

  #confirmed(): boolean {
    const newest = this.#window[this.#window.length - 1];
    if (!newest?.high) return false;
    return this.#window.filter((w) => w.high).length >= this.settings.confirmN;
  }

  #end(reason: EndReason, now: number, detail: string, out: GuardAction[]): void {
    const hold = this.#hold;
    if (!hold) return;
    this.#hold = null;
    out.push({ type: "release", hold });
    out.push({ type: "hold_ended", hold, reason, endedAt: now, detail });
  }

  /** Re-evaluates everything against the clock; call it on every input and periodically (every ~100 ms). */
  tick(now: number, triggerFrameTs?: number): GuardAction[] {
    const out: GuardAction[] = [];
    const s = this.settings;
    const fault = this.#faultReason(now);
    if (fault !== this.#reportedFault) {
      if (fault) out.push({ type: "alert", kind: "fault", detail: fault });
      else if (this.#reportedFault) out.push({ type: "alert", kind: "fault_cleared", detail: `was ${this.#reportedFault}` });
      this.#reportedFault = fault;
    }
    if (this.#disabledUntil !== 0 && this.#disabledUntil <= now) this.#disabledUntil = 0;
    const car = this.#carUsable(now);
    // clear means frames kept coming and none passed: silence proves nothing (it is a fault instead)
    const sawClearFrame = this.#lastFrameAt !== null && (this.#lastHighAt === null || this.#lastFrameAt > this.#lastHighAt);
    const clearFor = !sawClearFrame ? 0 : this.#lastHighAt === null ? Infinity : now - this.#lastHighAt;

    const hold = this.#hold;
    if (hold) {
      if (fault) this.#end("fault", now, fault, out);
      else if (!car) this.#end("safety", now, "car state unknown", out);
      else if (car.moving) this.#end("safety", now, "car is moving", out);
      else if (car.mode !== "normal") this.#end("safety", now, `car mode ${car.mode}`, out);
      else if (!s.canHold || this.#disabledUntil > now) this.#end("staff", now, "guard disabled", out);
      else if (now - hold.startedAt >= s.maxHoldMs) {
        this.#rearmAfterClear = true;
        this.#end("max_hold", now, `held for ${now - hold.startedAt} ms`, out);
        out.push({ type: "alert", kind: "max_hold", detail: `lift held for the maximum of ${s.maxHoldMs} ms; released; staff should check the car`, hold });
      } else if (clearFor >= s.clearReleaseMs) this.#end("cleared", now, `no e-bike for ${clearFor} ms`, out);
      else {
        if (now - hold.lastWriteAt >= s.renewMs) {
          hold.lastWriteAt = now;
          hold.leaseUntil = now + s.leaseMs;
          out.push({ type: "hold", until: hold.leaseUntil, hold, first: false });
        }
        if (s.announceRepeatMs > 0 && now - hold.lastAnnounceAt >= s.announceRepeatMs) {
          hold.lastAnnounceAt = now;
          out.push({ type: "announce", text: s.announcement });
        }
      }
      return out;
    }

    if (this.#rearmAfterClear && !fault && clearFor >= s.clearReleaseMs && this.#lastFrameAt !== null && now - this.#lastFrameAt <= s.frameStaleMs) {
      this.#rearmAfterClear = false;
    }
    const doorsOpen = car?.door === "open" || car?.door === "opening";
    if (
      s.canHold &&
      this.#disabledUntil <= now &&
      !fault &&
      !this.#rearmAfterClear &&
      car &&
      !car.moving &&
      car.mode === "normal" &&
      doorsOpen &&
      this.#confirmed()
    ) {
      let best: BestFrame | null = null;
      for (const w of this.#window) if (w.high && (!best || w.score > best.score)) best = { frameTs: w.frameTs, score: w.score, ...(w.image ? { image: w.image } : {}) };
      const newest = this.#window[this.#window.length - 1];
      const started: ActiveHold = {
        id: `${this.liftId}-${now}-${++this.#seq}`,
        startedAt: now,
        triggerFrameTs: triggerFrameTs ?? newest?.frameTs ?? now,
        trigger: triggerFrameTs === undefined ? "car" : "frame",
        best: best ?? { frameTs: now, score: 0 },
        leaseUntil: now + s.leaseMs,
        lastWriteAt: now,
        lastAnnounceAt: now,
      };
      this.#hold = started;
      out.push({ type: "hold", until: started.leaseUntil, hold: started, first: true });
      out.push({ type: "announce", text: s.announcement });
      out.push({ type: "hold_started", hold: started });
    }
    return out;
  }
}
