import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { registerOrderCommands } from "./cli.ts";
import { ordersConfigSchema, type OrdersConfig } from "./config.ts";
import { OrdersConsole } from "./console/routes.ts";
import { dueSteps } from "./escalation.ts";
import { createsOrderByRule, orderFromAlert } from "./from-alert.ts";
import { moveOldHolds } from "./held.ts";
import { workOrderMeasurements, workOrderPoint } from "./measurements.ts";
import { OrderNotifier } from "./notify.ts";
import { OrderStore } from "./store.ts";
import { OrderWorkflow, SYSTEM } from "./workflow.ts";

/**
 * Work orders (工单) for the property office: made from alerts (one click, or by rule) or by hand,
 * assigned, worked, signed by the worker and signed off by a supervisor, every step a record in a
 * hash chain in SQLite; overdue ones remind the assignee and then the supervisor through the alert
 * channels; every record goes to InfluxDB (`work_order`). The pages are behind the console's
 * sign-in and its roles.
 */
export class OrdersFeature implements Feature {
  readonly name = "orders";
  #store: OrderStore | undefined;
  #workflow: OrderWorkflow | undefined;
  #notifier: OrderNotifier | undefined;
  readonly #off: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: OrdersConfig,
  ) {}

  get store(): OrderStore | undefined {
    return this.#store;
  }

  get workflow(): OrderWorkflow | undefined {
    return this.#workflow;
  }

  /** Resolves when messages under way have been sent or given up (tests). */
  async idle(): Promise<void> {
    await this.#notifier?.idle();
  }

  async start(): Promise<void> {
    const { core, cfg } = this;
    const log = core.log.child({ part: "orders" });
    const dir = join(core.dataDir, "orders");
    mkdirSync(dir, { recursive: true });
    const store = (this.#store = new OrderStore(join(dir, "orders.db")));
    const notifier = (this.#notifier = new OrderNotifier(core.config.site, core.mqtt, core.channels, cfg, core.config.alerts, () => core.staff.members(), log));
    const workflow = (this.#workflow = new OrderWorkflow(store, cfg, (change) => {
      notifier.changed(change);
      core.writePoint(workOrderPoint(change));
      core.bus.emit("order.changed", change);
    }));
    this.#off.push(
      core.bus.on("alert.changed", ({ event, alert }) => {
        store.noteAlert(alert);
        if (event === "opened" && createsOrderByRule(alert, cfg) && !store.byAlert(alert.id)) {
          const order = workflow.create(orderFromAlert(alert, core.config.alerts.console.language), SYSTEM);
          log.info({ order: order.id, alert: alert.id }, "work order opened by rule");
        }
      }),
    );
    this.#timer = setInterval(() => {
      try {
        for (const { order, step } of dueSteps(store, cfg, Date.now())) notifier.overdue(workflow.escalationStep(order, step), step);
      } catch (err) {
        log.error({ err }, "work order escalation failed");
      }
    }, cfg.escalation.checkMs);
    this.#timer.unref();
    const old = moveOldHolds(join(dir, "held"), store.list(undefined, Number.MAX_SAFE_INTEGER), core.evidence);
    if (old.moved > 0) log.info({ orders: old.moved }, "legal holds moved from orders/held into the evidence store");
    if (old.damaged.length > 0) log.error({ files: old.damaged }, "held evidence copies no longer match their SHA-256: left out of the hold");
    new OrdersConsole(core, cfg, store, workflow, () => store.openAlerts()).start();
    log.info({ orders: store.list().length }, "work orders started");
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const off of this.#off.splice(0)) off();
    await this.#notifier?.stop();
    this.#store?.close();
    this.#store = this.#workflow = this.#notifier = undefined;
  }
}

export const ordersFeature = defineFeature({
  key: "orders",
  description: "work orders with e-signatures for the property office (gateway/orders)",
  config: ordersConfigSchema,
  measurements: workOrderMeasurements,
  commands: registerOrderCommands,
  create: (core, config) => new OrdersFeature(core, config),
});
