import type { DeviceEvent, DeviceKind } from "../../devices/types.ts";
import type { AlertsConfig } from "../alerts/config.ts";
import { AlertEngine } from "../alerts/engine.ts";
import { alertPoint } from "../alerts/measurements.ts";
import { deviceRules, holdRules, parkingDeniedPlateRules, type RuleAction } from "../alerts/rules/index.ts";
import { SilenceWatcher } from "../alerts/silence.ts";
import { AlertStore } from "../alerts/store.ts";
import type { Alert } from "../alerts/types.ts";
import type { Point } from "../influx/point.ts";
import type { HoldRecord } from "../lift/events.ts";
import type { OrdersConfig } from "../orders/config.ts";
import { dueSteps } from "../orders/escalation.ts";
import { createsOrderByRule, orderFromAlert } from "../orders/from-alert.ts";
import { workOrderPoint } from "../orders/measurements.ts";
import { OrderStore } from "../orders/store.ts";
import { OrderWorkflow, SYSTEM, type Actor } from "../orders/workflow.ts";
import type { ParkingDeniedPlate } from "../parking/events.ts";
import { seededRandom } from "./fleet.ts";
import { Timeline } from "./timeline.ts";

const MINUTE = 60_000;

/** The staff of the simulated compound: who acknowledges, who opens and signs off orders, who does the work. */
const GUARD = "simulated guard";
const SUPERVISOR: Actor = { user: "sim-supervisor", displayName: "模拟主管", role: "supervisor" };
const TECHNICIANS: readonly Actor[] = [
  { user: "sim-tech-1", displayName: "模拟维修一", role: "technician" },
  { user: "sim-tech-2", displayName: "模拟维修二", role: "technician" },
];
/** a drawn signature: only its presence matters here, the chain stores it */
const SIGNATURE_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
/** the supervisor opens an order with one click for every alert the orders feature could open one for by itself */
const EVERY_RULE: OrdersConfig["autoCreate"] = { chargerAlarms: true, liftFault: true, deviceSilent: true, throw: true };

export interface OfficeOptions {
  /** the simulated device kinds: how long each may stay quiet */
  kinds: readonly DeviceKind[];
  alerts: AlertsConfig;
  orders: OrdersConfig;
  seed: number;
  /** the end of the simulated stretch: what would happen after it does not */
  end: number;
}

/**
 * The alerts and work orders of the simulated stretch, as the running gateway would have written
 * them: the real alert rules, engine and silence watcher over the day's device events and lift
 * holds, and the real work order workflow, on the simulated clock and on stores in memory; every
 * change becomes the `alert` and `work_order` points those features write (alertPoint,
 * workOrderPoint). Staff answer from their own seeded random stream: guards acknowledge and
 * resolve, the supervisor opens a work order for an alert the orders feature knows how to make one
 * from, technicians accept and finish it, the supervisor signs it off.
 */
export class SimulatedOffice {
  readonly #random: () => number;
  readonly #timeline = new Timeline();
  readonly #alerts: AlertStore;
  readonly #orders: OrderStore;
  readonly #engine: AlertEngine;
  readonly #workflow: OrderWorkflow;
  readonly #silence: SilenceWatcher | undefined;
  #now = 0;
  #nextEscalation = 0;
  #nextSilenceCheck = 0;
  #nextOrderCheck = 0;

  constructor(
    private readonly options: OfficeOptions,
    private readonly write: (p: Point) => void,
  ) {
    this.#random = seededRandom(options.seed ^ 0x0ff1ce);
    this.#alerts = new AlertStore(":memory:");
    this.#orders = new OrderStore(":memory:");
    const cfg = options.alerts;
    const now = () => this.#now;
    this.#engine = new AlertEngine(this.#alerts, { dedupWindowMs: cfg.dedupWindowMs, escalateAfterMs: cfg.escalation.afterMinutes * MINUTE, escalateMinSeverity: cfg.escalation.minSeverity, now }, (change) => {
      if (change.event !== "evidence") this.write(alertPoint(change));
      if (change.event === "opened") this.#respond(change.alert);
    });
    this.#workflow = new OrderWorkflow(this.#orders, options.orders, (change) => this.write(workOrderPoint(change)), now);
    this.#silence = cfg.rules.deviceSilent ? new SilenceWatcher(new Map(options.kinds.map((k) => [k.kind, k.silentAfterMs])), cfg, this.#alerts) : undefined;
  }

  /** A device event taken by the pipeline at `now`. */
  deviceEvent(ev: DeviceEvent, now: number): void {
    this.advance(now);
    this.#apply([...(this.#silence?.seen(ev, now) ?? []), ...deviceRules(ev, this.options.alerts)]);
  }

  /** A lift guard record; an end planned for later is applied when the clock reaches it. */
  hold(record: HoldRecord): void {
    this.#timeline.at(record.ts, () => this.#apply(holdRules(record, this.options.alerts)));
  }

  /** A listed car read at a car park's entry (`parking.denied_plate`). */
  deniedPlate(d: ParkingDeniedPlate): void {
    this.#apply(parkingDeniedPlateRules(d, this.options.alerts));
  }

  /** Moves the clock to `now`: what staff planned meanwhile, and the features' own timers (escalation, silence, overdue orders). */
  advance(now: number): void {
    this.#timeline.runUntil(now, (at) => (this.#now = at));
    this.#now = now;
    const { alerts, orders } = this.options;
    if (now >= this.#nextEscalation) {
      this.#engine.escalateDue();
      this.#nextEscalation = now + alerts.escalation.checkMs;
    }
    if (this.#silence && now >= this.#nextSilenceCheck) {
      this.#apply(this.#silence.check(now));
      this.#nextSilenceCheck = now + alerts.rules.silentCheckMs;
    }
    if (now >= this.#nextOrderCheck) {
      for (const { order, step } of dueSteps(this.#orders, orders, now)) this.#workflow.escalationStep(order, step);
      this.#nextOrderCheck = now + orders.escalation.checkMs;
    }
  }

  close(): void {
    this.#alerts.close();
    this.#orders.close();
  }

  #apply(actions: RuleAction[]): void {
    // a gateway with the alerts feature switched off raises none
    if (!this.options.alerts.enabled) return;
    for (const action of actions) {
      if ("resolve" in action) this.#engine.resolveKey(action.resolve, "system", action.note);
      else this.#engine.raise(action.raise);
    }
  }

  /** Plans what staff do about a new alert, if they get to it before its cause goes away. */
  #respond(alert: Alert): void {
    const opened = this.#now;
    if (createsOrderByRule(alert, this.options.orders)) this.#openOrder(alert, SYSTEM);
    const ackAt = opened + this.#ackDelay();
    this.#later(ackAt, () => {
      const a = this.#alerts.get(alert.id);
      if (a?.state !== "open") return; // resolved by its rule first (a hold that ended)
      this.#engine.acknowledge(a.id, GUARD);
      if (createsOrderByRule(a, { ...this.options.orders, autoCreate: EVERY_RULE }) && !this.#orders.byAlert(a.id)) this.#openOrder(a, SUPERVISOR);
    });
    // the guard closes it after seeing to it; an alert its rule resolves (a hold, a silent device) may be closed by that first
    this.#later(ackAt + this.#between(5, 60), () => {
      const a = this.#alerts.get(alert.id);
      if (a && a.state !== "resolved") this.#engine.resolve(a.id, GUARD, "simulated: handled");
    });
  }

  #openOrder(alert: Alert, by: Actor): void {
    if (!this.options.orders.enabled) return;
    const tech = TECHNICIANS[Math.floor(this.#random() * TECHNICIANS.length)]!;
    const w = this.#workflow;
    const input = orderFromAlert(alert, this.options.alerts.console.language);
    const { id } = w.create(input, by);
    // each step names the order's version as it is then (a reminder may have come between), as a freshly loaded page does
    const version = () => this.#orders.get(id)!.version;
    const sla = this.options.orders.slaMinutes[input.type];
    this.#later(this.#now + this.#between(2, 10), () => {
      w.assign(id, version(), tech.user, SUPERVISOR);
      this.#later(this.#now + this.#between(2, 15), () => {
        w.accept(id, version(), tech);
        this.#later(this.#now + this.#between(1, 5), () => {
          w.start(id, version(), tech);
          // most jobs take a fraction of their due time; some wait for parts and run past it
          const work = this.#random() < 0.85 ? this.#between(0.1 * sla, 0.5 * sla) : this.#between(sla, 4 * sla);
          this.#later(this.#now + work, () => {
            w.done(id, version(), SIGNATURE_PNG, "simulated: done", tech);
            this.#later(this.#now + this.#between(10, 180), () => w.signOff(id, version(), SIGNATURE_PNG, "simulated: checked", SUPERVISOR));
          });
        });
      });
    });
  }

  /** Most alerts are acknowledged within five minutes, some within half an hour, a few later. */
  #ackDelay(): number {
    const r = this.#random();
    if (r < 0.7) return this.#between(0.5, 5);
    if (r < 0.93) return this.#between(5, 30);
    return this.#between(30, 120);
  }

  #between(fromMinutes: number, toMinutes: number): number {
    return Math.round((fromMinutes + (toMinutes - fromMinutes) * this.#random()) * MINUTE);
  }

  /** What happens after the stretch ends does not happen: the alert stays open, the order unfinished. */
  #later(at: number, run: () => void): void {
    if (at <= this.options.end) this.#timeline.at(at, run);
  }
}
