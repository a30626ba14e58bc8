import { deviceKinds } from "../../devices/index.ts";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { AvailabilityPublisher } from "./availability.ts";
import { devicesPageConfigSchema, type DevicesPageConfig } from "./config.ts";
import { RegistryDevices } from "./registry-devices.ts";
import { devicesSeenFile, SeenStore } from "./seen-store.ts";
import { DeviceRoster } from "./roster.ts";
import { addDevicesPage } from "./routes.ts";

/**
 * The devices page: every device the gateway has heard from or the registry lists, online or
 * offline by the device_silent rule, with its last values and recent rejects; and each device's
 * retained availability topic, for systems beside the gateway. It reads the bus only, so it works
 * whether or not the alerts feature runs (its silence thresholds are read from `alerts.rules`).
 */
export class DevicesPageFeature implements Feature {
  readonly name = "devicesPage";
  #timer: NodeJS.Timeout | undefined;
  #store: SeenStore | undefined;
  #roster: DeviceRoster | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: DevicesPageConfig,
  ) {}

  async start(): Promise<void> {
    const { core, cfg } = this;
    const { site } = core.config;
    const roster = (this.#roster = new DeviceRoster(site, deviceKinds, core.config.alerts.rules.silentAfterMs, core.config.alerts.timeZone, Date.now()));
    const store = (this.#store = new SeenStore(devicesSeenFile(core.dataDir)));
    for (const s of store.all()) roster.restore(s.kind, s.id, s.lastSeenAt);
    let heard = false;
    const availability = new AvailabilityPublisher(core.mqtt, site, core.log);
    const registry = new RegistryDevices(core.config.security.registry, site, core.log);
    const sync = () => {
      const listed = registry.changed();
      if (listed) roster.list(listed, Date.now());
    };
    sync();
    core.bus.on("device.event", (ev) => {
      const change = roster.heard(ev);
      heard = true;
      if (change) availability.publish(change);
    });
    core.bus.on("device.rejected", (r) => roster.rejected(r));
    addDevicesPage(core, cfg, roster, deviceKinds);
    this.#timer = setInterval(() => {
      sync();
      for (const change of roster.check(Date.now())) availability.publish(change);
      availability.retry();
      if (!heard) return;
      try {
        store.save(roster.lastSeen());
        heard = false;
      } catch (err) {
        // a full disk must not stop the gateway: the times are saved at the next check that can
        core.log.warn({ err: (err as Error).message }, "devices page: last-seen times not saved; trying again at the next check");
      }
    }, cfg.checkMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    try {
      if (this.#store && this.#roster) this.#store.save(this.#roster.lastSeen());
    } catch (err) {
      this.core.log.warn({ err: (err as Error).message }, "devices page: last-seen times not saved at stop");
    }
    this.#store?.close();
    this.#store = this.#roster = undefined;
  }
}

export const devicesPageFeature = defineFeature({
  key: "devicesPage",
  description: "the devices page (/devices): every device online or offline, last values, rejects; retained availability topics (gateway/devices-page)",
  config: devicesPageConfigSchema,
  measurements: [],
  create: (core, config) => new DevicesPageFeature(core, config),
});
