import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { RtspCamera } from "./camera.ts";
import { registerCameraCommands } from "./cli.ts";
import { camerasConfigSchema, type CamerasConfig } from "./config.ts";
import { cameraMetrics, type CameraMetrics } from "./metrics.ts";
import { wantsFullRate } from "./rate-gate.ts";
import { redactUrl } from "./rtsp-url.ts";

/**
 * Lift cameras read over RTSP, for lifts whose camera cannot publish JPEGs to MQTT. Each configured
 * lift gets an ffmpeg child; its frames go on the bus as that lift's `device.event` frames, so the
 * detector, the lift guard and site learning take them as they take MQTT frames. The frame rate
 * follows the car (`lift.car`): full while the doors are open on a stopped car, low otherwise.
 */
export class CamerasFeature implements Feature {
  readonly name = "cameras";
  readonly #cameras = new Map<string, RtspCamera>();
  #metrics: CameraMetrics | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: CamerasConfig,
  ) {}

  async start(): Promise<void> {
    const { core, cfg } = this;
    const metrics = cameraMetrics(core.metrics);
    this.#metrics = metrics;
    for (const [lift, { url }] of Object.entries(cfg.lifts)) {
      this.#cameras.set(lift, new RtspCamera({ site: core.config.site, lift, url, config: cfg, bus: core.bus, log: core.log, metrics }));
    }
    core.bus.on("lift.car", (car) => {
      if (car.site === core.config.site) this.#cameras.get(car.lift)?.setFullRate(wantsFullRate(car.state));
    });
    for (const camera of this.#cameras.values()) camera.start();
    if (this.#cameras.size > 0) core.log.info({ lifts: Object.fromEntries(Object.entries(cfg.lifts).map(([l, c]) => [l, redactUrl(c.url)])) }, "RTSP lift cameras started");
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#cameras.values()].map((c) => c.stop()));
    this.#cameras.clear();
    this.#metrics?.remove();
    this.#metrics = undefined;
  }
}

export const camerasFeature = defineFeature({
  key: "cameras",
  description: "RTSP lift cameras read with ffmpeg, their frames on the bus as the lifts' own (gateway/cameras)",
  config: camerasConfigSchema,
  measurements: [],
  commands: registerCameraCommands,
  create: (core, config) => new CamerasFeature(core, config),
});
