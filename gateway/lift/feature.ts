import { lift as liftKind } from "../../devices/lift.ts";
import { isChannel } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import type { GatewayEvents } from "../events.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { perform } from "./actions.ts";
import { liftAlerts } from "./alert.ts";
import { liftConfigSchema, type LiftConfig } from "./config.ts";
import type { CarState, LiftLink } from "./controller/link.ts";
import { openLink } from "./controller/open-link.ts";
import { GuardRunner } from "./guard-runner.ts";
import type { GuardStatus } from "./guard.ts";
import { HoldRecorder } from "./hold-recorder.ts";
import { liftMetrics, type LiftMetrics } from "./metrics.ts";
import { liftMeasurements } from "./records.ts";
import { settingsFor } from "./settings.ts";
import { StaffCommands } from "./staff-commands.ts";
import { addStaffRoutes } from "./staff-http.ts";
import { serveStaffMqtt } from "./staff-mqtt.ts";

interface Running {
  link: LiftLink;
  guards: GuardRunner;
  metrics: LiftMetrics;
  unsubscribe: () => Promise<void>;
}

/**
 * The lift guard: one LiftGuard per lift, fed by the detector's verdicts (`lift.detection`,
 * `lift.detector.fault`) and the car state (from the OPC UA link, or lift/<id>/state messages when
 * the link reports none); it holds through the controller link, records holds, raises alerts
 * (`lift.alert`) and serves staff commands over MQTT and HTTP.
 */
export class LiftGuardFeature implements Feature {
  readonly name = "lift-guard";
  #running: Running | null = null;

  constructor(
    private readonly core: Core,
    private readonly cfg: LiftConfig,
  ) {}

  async start(): Promise<void> {
    const { core, cfg } = this;
    const site = core.config.site;
    const link = await openLink(cfg, core);
    const metrics = liftMetrics(core.metrics);
    const alert = liftAlerts(core);
    const records = new HoldRecorder(core, metrics, link.kind, cfg.keepEvidence);
    const services = { link, records, metrics, alert, log: core.log };
    const guards = new GuardRunner({
      settings: (id) => settingsFor(cfg, id, link),
      watch: (id) => link.watch(id),
      perform: (id, action) => perform(services, id, action),
      log: core.log,
    });
    const onCar = (id: string, state: CarState | null) => {
      guards.carState(id, state);
      core.bus.emit("lift.car", { site, lift: id, ts: Date.now(), state });
    };
    link.onState(onCar);
    core.bus.on("lift.detection", (d) => this.#onDetection(guards, d));
    core.bus.on("lift.detector.fault", (f) => {
      if (f.site === undefined || f.site === site) guards.fault(f.lift, f.reason);
    });
    if (!link.providesState) {
      core.bus.on("device.event", (e) => {
        if (e.site !== site || !isChannel(e, liftKind, "state")) return;
        const { floor, door, moving, direction, mode } = e.data;
        onCar(e.deviceId, { floor, door, moving, direction, mode });
      });
    }
    const running: Running = { link, guards, metrics, unsubscribe: async () => {} };
    this.#running = running;
    try {
      await link.start();
      for (const id of Object.keys(cfg.lifts)) guards.guardOf(id);
      const staff = new StaffCommands(core, cfg, guards, alert);
      running.unsubscribe = await serveStaffMqtt(core, staff);
      addStaffRoutes(core, staff, () => guards.status());
      guards.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    core.log.info({ link: link.kind, lifts: Object.keys(cfg.lifts).length }, "lift guard started");
  }

  /** Releases every hold (on the controller, not left to lapse), then lets go of the link. */
  async stop(): Promise<void> {
    const running = this.#running;
    this.#running = null;
    if (!running) return;
    await running.guards.stop();
    await running.unsubscribe();
    await running.link.stop();
    running.metrics.remove();
  }

  /** Every guard's status (holding, hold, fault, disabledUntil, car, window), as `GET /api/lifts` serves it. */
  status(): Record<string, GuardStatus> {
    return this.#running?.guards.status() ?? {};
  }

  #onDetection(guards: GuardRunner, d: GatewayEvents["lift.detection"]): void {
    if (d.site !== this.core.config.site) return;
    const image = d.evidence ? { data: d.evidence.image, format: d.evidence.format } : undefined;
    guards.observe(d.lift, { frameTs: d.frameTs, score: d.ebikeScore, modelThreshold: d.threshold, ...(image ? { image } : {}) });
  }
}

export const liftFeature = defineFeature({
  key: "lift",
  description: "the lift guard: holds a lift while an e-bike is inside (gateway/lift)",
  config: liftConfigSchema,
  measurements: liftMeasurements,
  create: (core, config) => new LiftGuardFeature(core, config),
});
