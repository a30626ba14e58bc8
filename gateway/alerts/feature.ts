import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Counter, type Registry } from "prom-client";
import { deviceKinds } from "../../devices/index.ts";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { registerAlertCommands } from "./cli.ts";
import { StaffConsole } from "../console/staff-console.ts";
import { EvidenceMismatch } from "../evidence/store.ts";
import { AlertsConsole } from "./console/routes.ts";
import { FaultGrace } from "./fault-grace.ts";
import { alertsConfigSchema, type AlertsConfig } from "./config.ts";
import { Delivery } from "./delivery.ts";
import { DeviceMutes } from "./mutes.ts";
import type { ChannelHealth } from "../channels/types.ts";
import { Router } from "./routing.ts";
import { AuditLog } from "../audit-log.ts";
import { AlertEngine } from "./engine.ts";
import { AlertHolds } from "./legal-hold.ts";
import { alertMeasurements, alertPoint } from "./measurements.ts";
import { withRetry } from "../channels/retry.ts";
import { backPressureRules, cameraStatusRules, stateQuarantinedRules, chargerCommandDoneRules, chargerCommandRules, deviceRules, holdRules, liftAlertRules, parkingDeniedPlateRules, type RuleAction } from "./rules/index.ts";
import { SilenceWatcher } from "./silence.ts";
import { AlertStore } from "./store.ts";
import type { AlertChange, EvidenceRef } from "./types.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function alertCounter(registry: Registry): Counter {
  const name = "linli_alert_changes_total";
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help: "Alert state changes, per type and event", labelNames: ["type", "event"], registers: [registry] });
}

/**
 * Alerts to security staff: rules over device events and lift guard records open alerts (deduped,
 * persisted in SQLite), delivery sends them over MQTT and webhooks, unacknowledged ones escalate,
 * every change goes to InfluxDB (`alert`), evidence is kept in the core's store, and the console
 * serves the guard room (and tells the core which staff member sends a request).
 */
export class AlertsFeature implements Feature {
  readonly name = "alerts";
  #store: AlertStore | undefined;
  #engine: AlertEngine | undefined;
  #delivery: Delivery | undefined;
  #silence: SilenceWatcher | undefined;
  #mutes: DeviceMutes | undefined;
  #console: AlertsConsole | undefined;
  readonly #off: Array<() => void> = [];
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    private readonly core: Core,
    private readonly cfg: AlertsConfig,
  ) {}

  /** The engine (acknowledge/resolve from other features or tests); undefined until started. */
  get engine(): AlertEngine | undefined {
    return this.#engine;
  }

  get store(): AlertStore | undefined {
    return this.#store;
  }

  /** Per-device mutes (the console's API sets them); undefined until started. */
  get mutes(): DeviceMutes | undefined {
    return this.#mutes;
  }

  /** Each chat channel's pacing and health (every sender's messages, not only alerts'); empty until started. */
  channelHealth(): ChannelHealth[] {
    return this.#delivery ? this.core.channels.health() : [];
  }

  /** Resolves when deliveries and evidence fetches under way have finished (tests). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#delivery?.idle();
  }

  async start(): Promise<void> {
    const { core, cfg } = this;
    const log = core.log.child({ part: "alerts" });
    const dir = join(core.dataDir, "alerts");
    mkdirSync(dir, { recursive: true });
    const store = (this.#store = new AlertStore(join(dir, "alerts.db")));
    const mutes = (this.#mutes = new DeviceMutes(store, new AuditLog(join(dir, "audit.jsonl")), cfg.pacing.maxMuteHours * HOUR));
    const router = new Router(cfg);
    const suppressed = (c: AlertChange) => (mutes.isMuted(c.alert.place.device, c.at) ? "muted" : router.quiet(c) ? "quiet" : undefined);
    const delivery = (this.#delivery = new Delivery(core.config.site, core.mqtt, core.channels, cfg, log, core.metrics, router, suppressed));
    const changes = alertCounter(core.metrics);
    const engine = (this.#engine = new AlertEngine(
      store,
      { dedupWindowMs: cfg.dedupWindowMs, escalateAfterMs: cfg.escalation.afterMinutes * 60_000, escalateMinSeverity: cfg.escalation.minSeverity },
      (change) => {
        changes.inc({ type: change.alert.type, event: change.event });
        if (change.event !== "evidence") core.writePoint(alertPoint(change));
        delivery.deliver(change);
        core.bus.emit("alert.changed", change);
      },
    ));
    const holds = new AlertHolds(store, core.evidence);
    const thresholds = new Map(deviceKinds.map((k) => [k.kind, k.silentAfterMs]));
    const silence = (this.#silence = cfg.rules.deviceSilent ? new SilenceWatcher(thresholds, cfg, store) : undefined);

    const grace = new FaultGrace(cfg.rules.liftFaultGraceMs, (a) => this.#apply(liftAlertRules(a, cfg)));
    this.#off.push(() => grace.stop());
    this.#off.push(
      core.bus.on("device.event", (ev) => {
        const actions = [...(silence?.seen(ev, Date.now()) ?? []), ...deviceRules(ev, cfg)];
        this.#apply(actions, ev);
      }),
      core.bus.on("lift.hold", (h) => this.#apply(holdRules(h, cfg), h)),
      core.bus.on("lift.alert", (a) => grace.handle(a)),
      core.bus.on("camera.status", (c) => this.#apply(cameraStatusRules(c, cfg))),
      core.bus.on("charger.command_failed", (f) => this.#apply(chargerCommandRules(f, cfg))),
      core.bus.on("charger.command_done", (d) => this.#apply(chargerCommandDoneRules(d, cfg))),
      core.bus.on("gateway.backpressure", (b) => this.#apply(backPressureRules(b, cfg))),
      core.bus.on("state.quarantined", (q) => this.#apply(stateQuarantinedRules(q, cfg))),
      core.bus.on("parking.denied_plate", (p) => this.#apply(parkingDeniedPlateRules(p, cfg))),
      // an alert's evidence package has the work orders made from it, without importing the orders feature
      core.bus.on("order.changed", ({ order, record }) => {
        if (order.alertId && store.get(order.alertId)) store.saveOrder(order.alertId, order.id, order, record);
      }),
      core.bus.on("alert.changed", ({ event, alert }) => {
        if (event === "evidence" && store.isHeld(alert.id)) holds.follow(alert);
      }),
    );

    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          log.error({ err }, "alerts timer failed");
        }
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(cfg.escalation.checkMs, () => engine.escalateDue());
    if (silence) every(cfg.rules.silentCheckMs, () => this.#apply(silence.check(Date.now())));
    // evidence has its own retention, in the core; resolved alerts have theirs here
    const sweep = () => {
      const alerts = store.purge(Date.now() - cfg.historyDays * DAY);
      if (alerts) log.info({ alerts }, "retention: old resolved alerts removed");
    };
    sweep();
    every(HOUR, sweep);
    // alerts opened before a restart escalate on time, and evidence not yet fetched is tried again
    for (const a of store.unresolved()) {
      delivery.publishState(a, "restored", Date.now());
      this.#keepEvidence(a.id, a.evidence);
    }
    engine.escalateDue();

    if (cfg.console.enabled) {
      if (cfg.console.accounts.length === 0) log.warn("alerts.console.accounts is empty: nobody can log in to the console");
      const login = new StaffConsole(cfg.console, log.child({ part: "console" }), join(core.dataDir, "console"));
      this.#off.push(core.staff.provide(login));
      this.#console = new AlertsConsole(core, cfg, login, engine, store, mutes, () => core.channels.health(), holds);
      this.#console.start();
    }
    log.info({ unresolved: store.unresolved().length, webhooks: cfg.webhooks.length, routes: cfg.routes.length, mutes: mutes.list().length, escalation: cfg.escalation.webhooks.length }, "alerts started");
  }

  async stop(): Promise<void> {
    this.#console?.stop();
    for (const off of this.#off.splice(0)) off();
    for (const t of this.#timers.splice(0)) clearInterval(t);
    this.#abort.abort();
    await Promise.allSettled([...this.#pending]);
    await this.#delivery?.stop();
    this.#silence?.flush();
    this.#store?.close();
    this.#store = this.#engine = this.#delivery = this.#silence = this.#console = this.#mutes = undefined;
  }

  /** Applies rule actions; `source`, the event they came from, is kept with each alert raised (a throw's track). */
  #apply(actions: RuleAction[], source?: unknown): void {
    const engine = this.#engine;
    if (!engine) return;
    for (const action of actions) {
      if ("resolve" in action) {
        engine.resolveKey(action.resolve, "system", action.note);
        continue;
      }
      const change: AlertChange = engine.raise(action.raise);
      if (source !== undefined) this.#store?.saveSource(change.alert.id, change.at, source);
      this.#keepEvidence(change.alert.id, change.alert.evidence);
    }
  }

  /** Records the bytes behind evidence references: already in the store (a lift's frame), or fetched from the device's URL. */
  #keepEvidence(alertId: string, refs: EvidenceRef[]): void {
    const store = this.core.evidence;
    for (const ref of refs) {
      if (ref.id || ref.verified === false) continue;
      const known = store.bySha256(ref.sha256);
      if (known) {
        this.#engine?.updateEvidence(alertId, { ...ref, id: known.id, mime: known.mime, verified: true });
        continue;
      }
      if (!ref.url || !this.cfg.evidence.fetch) continue;
      const url = ref.url;
      const p = withRetry(
        async () => {
          const rec = await store.fetch(url, { source: url, subject: alertId, expectedSha256: ref.sha256, maxBytes: this.cfg.evidence.maxBytes, timeoutMs: this.cfg.evidence.fetchTimeoutMs });
          this.#engine?.updateEvidence(alertId, { ...ref, id: rec.id, mime: rec.mime, verified: true });
        },
        { attempts: 3, minDelayMs: 2_000, maxDelayMs: 10_000 },
        this.#abort.signal,
        (_n, err) => {
          if (err instanceof EvidenceMismatch) throw err; // no point fetching again
        },
      )
        .then(() => undefined)
        .catch((err: unknown) => {
          if (err instanceof EvidenceMismatch) this.#engine?.updateEvidence(alertId, { ...ref, verified: false });
          this.core.log.warn({ alertId, role: ref.role, err: String(err) }, "evidence not kept");
        })
        .finally(() => this.#pending.delete(p));
      this.#pending.add(p);
    }
  }
}

export const alertsFeature = defineFeature({
  key: "alerts",
  description: "alerts to security staff and the console (gateway/alerts, gateway/console)",
  config: alertsConfigSchema,
  measurements: alertMeasurements,
  commands: registerAlertCommands,
  create: (core, config) => new AlertsFeature(core, config),
});
