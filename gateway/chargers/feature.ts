import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { charger } from "../../devices/charger.ts";
import { isChannel } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { parseDeviceTopic } from "../ingest/topic.ts";
import { AuditLog } from "../audit-log.ts";
import { PortCommander } from "./commander.ts";
import { chargersConfigSchema, type ChargersConfig } from "./config.ts";
import { chargerMetrics, type ChargerMetrics } from "./metrics.ts";
import { PendingCommands } from "./pending-store.ts";
import { addChargerRoutes } from "./staff-http.ts";

/**
 * Charger commands: a cut-on alarm (smoke, over-temperature by default) switches its port off; staff
 * switch ports off and on from the console. Every command waits for the charger's ack on its `ack`
 * channel, is sent again when none comes, and raises `charger.command_failed` when it is not carried out.
 */
export class ChargersFeature implements Feature {
  readonly name = "chargers";
  #commander: PortCommander | undefined;
  #metrics: ChargerMetrics | undefined;
  #audit: AuditLog | undefined;
  #store: PendingCommands | undefined;
  readonly #off: Array<() => void> = [];

  constructor(
    private readonly core: Core,
    private readonly cfg: ChargersConfig,
  ) {}

  /** Resolves once every audit line so far is on disk (tests). */
  async flushed(): Promise<void> {
    await this.#audit?.flushed();
  }

  async start(): Promise<void> {
    const { core, cfg } = this;
    const log = core.log.child({ part: "chargers" });
    const metrics = (this.#metrics = chargerMetrics(core.metrics));
    const audit = (this.#audit = new AuditLog(join(core.dataDir, "chargers", "audit.jsonl")));
    mkdirSync(join(core.dataDir, "chargers"), { recursive: true });
    const store = (this.#store = new PendingCommands(join(core.dataDir, "chargers", "pending.db")));
    const commander = (this.#commander = new PortCommander({ mqtt: core.mqtt, site: core.config.site, cfg, audit, store, metrics, log, failed: (f) => core.bus.emit("charger.command_failed", f), done: (d) => core.bus.emit("charger.command_done", d) }));
    this.#off.push(
      core.bus.on("device.event", (ev) => {
        if (isChannel(ev, charger, "ack")) {
          commander.ack(ev.deviceId, ev.data);
          return;
        }
        if (!isChannel(ev, charger, "alarm") || !cfg.cutOn.includes(ev.data.type)) return;
        const { port, type, alarmId } = ev.data;
        if (port === undefined) {
          metrics.skipped.inc({ type });
          log.warn({ charger: ev.deviceId, alarmId, type }, "cut-on alarm names no port: nothing cut");
          return;
        }
        commander.send(ev.deviceId, port, "port_off", type, { trigger: "alarm", alarmId }).catch((err: unknown) => log.error({ charger: ev.deviceId, port, err: String(err) }, "port_off not sent"));
      }),
      // the ingest path refuses a malformed ack (and counts it under its reason); counted here too, among acks
      core.bus.on("device.rejected", (r) => {
        const t = parseDeviceTopic(r.topic);
        if (t?.kind !== charger.kind || t.channel !== "ack") return;
        commander.malformedAck(t.deviceId, r.reason, r.detail);
      }),
    );
    addChargerRoutes(core, commander, metrics);
    // after the ack listener: an ack to a resumed command must find it waiting
    const resumed = await commander.resume();
    log.info({ cutOn: cfg.cutOn, ackTimeoutMs: cfg.ackTimeoutMs, retries: cfg.retries, resumed }, "chargers started");
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    this.#commander?.stop();
    this.#store?.close();
    await this.#audit?.flushed();
    this.#metrics?.remove();
    this.#commander = this.#metrics = this.#audit = this.#store = undefined;
  }
}

export const chargersFeature = defineFeature({
  key: "chargers",
  description: "charger port commands: cut on alarm, staff off/on, acks and retries (gateway/chargers)",
  config: chargersConfigSchema,
  measurements: [],
  create: (core, config) => new ChargersFeature(core, config),
});
