import type { Logger } from "pino";
import type { CarState } from "./controller/link.ts";
import { LiftGuard, type GuardAction, type GuardSettings, type GuardStatus, type Observation } from "./guard.ts";

/** how often every guard is re-evaluated against the clock */
const TICK_MS = 100;

export interface GuardRunnerOptions {
  settings: (liftId: string) => GuardSettings;
  /** a guard was made for this lift: the controller link starts following its car */
  watch: (liftId: string) => void;
  perform: (liftId: string, action: GuardAction) => Promise<void>;
  log: Logger;
}

/**
 * One LiftGuard per lift, fed with the clock, and the one owner of each lift's latest car state:
 * the guard keeps it once it exists, and until then (a car heard of before its camera's first frame,
 * relay mode) this runner does. Actions are carried out in order per lift, so writes to one lift
 * never overtake each other, and lifts never wait on each other.
 */
export class GuardRunner {
  readonly #guards = new Map<string, LiftGuard>();
  /** car state of lifts without a guard yet, handed to the guard when it is made */
  readonly #carsWithoutGuard = new Map<string, { state: CarState | null; at: number }>();
  readonly #chains = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(private readonly opts: GuardRunnerOptions) {}

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const guard of this.#guards.values()) this.run(guard, guard.tick(now));
    }, TICK_MS);
  }

  /** Releases every hold, waits for the writes, and takes no more input. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const now = Date.now();
    for (const guard of this.#guards.values()) this.run(guard, guard.shutdown(now));
    this.#stopped = true;
    await Promise.allSettled([...this.#chains.values()]);
    this.#guards.clear();
    this.#carsWithoutGuard.clear();
  }

  has(liftId: string): boolean {
    return this.#guards.has(liftId);
  }

  /** The lift's guard, made on first use (a lift not in the config joins on its first frame). */
  guardOf(liftId: string): LiftGuard {
    let guard = this.#guards.get(liftId);
    if (!guard) {
      guard = new LiftGuard(liftId, this.opts.settings(liftId), Date.now());
      this.#guards.set(liftId, guard);
      this.opts.watch(liftId);
      const car = this.#carsWithoutGuard.get(liftId);
      this.#carsWithoutGuard.delete(liftId);
      if (car) guard.carState(car.state, car.at);
    }
    return guard;
  }

  observe(liftId: string, observation: Observation): void {
    if (this.#stopped) return;
    const guard = this.guardOf(liftId);
    this.run(guard, guard.observe(observation, Date.now()));
  }

  /** A detector fault for one lift, or for every lift when `liftId` is undefined. */
  fault(liftId: string | undefined, reason: string): void {
    if (this.#stopped) return;
    const now = Date.now();
    const targets = liftId !== undefined ? [this.guardOf(liftId)] : [...this.#guards.values()];
    for (const guard of targets) this.run(guard, guard.fault(reason, now));
  }

  /** A change of a car's state (null: unknown), from the controller link or the lift's own state messages. */
  carState(liftId: string, state: CarState | null): void {
    if (this.#stopped) return;
    const now = Date.now();
    const guard = this.#guards.get(liftId);
    if (guard) this.run(guard, guard.carState(state, now));
    else this.#carsWithoutGuard.set(liftId, { state, at: now });
  }

  /** Queues a guard's actions behind the lift's earlier ones. */
  run(guard: LiftGuard, actions: GuardAction[]): void {
    if (actions.length === 0 || this.#stopped) return;
    const id = guard.liftId;
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const action of actions) {
        try {
          await this.opts.perform(id, action);
        } catch (err) {
          this.opts.log.error({ lift: id, action: action.type, err }, "lift guard action failed");
        }
      }
    });
    this.#chains.set(id, next);
    void next.finally(() => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    });
  }

  /** Resolves once every action queued for the lift so far is done. */
  async settled(liftId: string): Promise<void> {
    await this.#chains.get(liftId);
  }

  status(): Record<string, GuardStatus> {
    const now = Date.now();
    return Object.fromEntries([...this.#guards].map(([id, g]) => [id, g.status(now)]));
  }
}
