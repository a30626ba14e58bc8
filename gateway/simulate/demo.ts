import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { deviceKinds } from "../../devices/index.ts";
import type { Config } from "../config.ts";
import { demoAccount } from "../console/auth.ts";
import { Gateway } from "../gateway.ts";
import { loadImages } from "../images.ts";
import { attachSimulatedRiders } from "../lift/sim/riders.ts";
import { startSimulatedController, type SimulatedController } from "../lift/sim/server.ts";
import { Fleet } from "./fleet.ts";
import { brokerUrlOf, LiveSimulation } from "./live.ts";
import { ensureSamples } from "./samples.ts";
import { canServeRtsp, startRtspLifts } from "./rtsp-lifts.ts";
import { SIM_ACCOUNT, VendorFleet } from "./vendor.ts";

/** lift cameras the vendor demo serves over RTSP */
const RTSP_LIFTS = 2;

export interface DemoOptions {
  images: string;
  models: string;
  rate: number;
  counts?: Record<string, number>;
  /** mqtt: every device speaks linli's MQTT; vendor: gates and throw cameras as Hikvision and Dahua devices, two lift cameras over RTSP (vendor.ts) */
  devices?: "mqtt" | "vendor";
}

export interface Demo {
  gateway: Gateway;
  stop(): Promise<void>;
}

function loopbackPort(endpoint: string): number | undefined {
  const url = new URL(endpoint.replace(/^opc\.tcp:/, "http:"));
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" ? Number(url.port || 4840) : undefined;
}

/**
 * The quick start's main job: the gateway on embedded defaults, a simulated compound publishing to
 * it, and a simulated OPC UA lift controller for the lift guard to hold, all in one process.
 */
export async function startDemo(config: Config, options: DemoOptions, say: (line: string) => void): Promise<Demo> {
  const lifts = options.counts?.lift ?? 30;
  // An offline demo reads the detector's weights from a local folder instead of downloading them.
  if (config.detector.mirror === undefined && existsSync(options.models)) config.detector.mirror = resolve(options.models);
  // The demo's photos show pedal bicycles, not e-bikes: they stand in for e-bikes so the guard has something to hold.
  config.detector.ebikeClasses ??= ["bicycle", "motorbike"];
  let login = "an account of alerts.console.accounts";
  if (config.alerts.enabled && config.alerts.console.enabled && config.alerts.console.accounts.length === 0) {
    const account = await demoAccount();
    config.alerts.console.accounts.push({ user: account.user, passwordHash: account.passwordHash, displayName: account.displayName, role: account.role });
    login = `user ${account.user}  password ${account.password}  (this run only)`;
  }

  let controller: SimulatedController | undefined;
  const simPort = config.lift.enabled && config.lift.link === "opcua" ? loopbackPort(config.lift.opcua.endpoint) : undefined;
  if (simPort !== undefined) controller = await startSimulatedController({ port: simPort, lifts, callsPerMinute: 2 });

  const frames = await cameraFrames(options.images, join(config.dataDir, "samples"));
  const camera = frames.ok ? loadImages(frames.dir) : undefined;
  const vendor = options.devices === "vendor" ? await startVendorDevices(config, options.counts, frames.ok ? frames.dir : undefined, camera?.images[0]) : undefined;
  const gateway = await Gateway.start(config);
  const detach = controller ? attachSimulatedRiders(controller, gateway.core.bus, config.site) : undefined;
  if (!frames.ok) gateway.core.log.warn({ images: resolve(options.images), err: frames.error }, "no sample frames: simulated lift cameras send none (give --images DIR)");
  const sim = await LiveSimulation.start(deviceKinds, {
    url: brokerUrlOf(config),
    site: config.site,
    rate: options.rate,
    seed: Date.now(),
    ...(camera ?? {}),
    ...(options.counts ? { counts: options.counts } : {}),
    ...(vendor ? { vendor, username: SIM_ACCOUNT, password: vendor.mqttPassword } : {}),
  });
  const http = `http://${config.http.host}:${config.http.port}`;
  say(
    [
      "",
      "linli demo: a simulated compound publishing to the gateway",
      `  security console   ${http}/   (${login})`,
      `  labelling page     ${http}/learning`,
      `  broker (MQTT)      ${brokerUrlOf(config)}   e.g. mosquitto_sub -h ${config.broker.host} -p ${config.broker.port} -t 'linli/${config.site}/#' -v`,
      `  InfluxDB           ${config.influx.enabled ? `${config.influx.url} (database ${config.influx.database})` : "off"}`,
      `  Grafana            point it at InfluxDB and provision dashboards/provisioning (dashboards/README.md)`,
      `  health, metrics    ${http}/healthz   ${http}/metrics`,
      `  devices            ${vendor ? `gates and throw cameras as Hikvision pushers (${config.push.hikvision.path}) and Dahua event streams (${config.push.dahua.devices.length} attached), ${Object.keys(config.cameras.lifts).length} lift cameras over RTSP; the rest on MQTT` : "every device on MQTT (--devices vendor: as Hikvision, Dahua and RTSP devices)"}`,
      `  lift cameras       ${camera ? `${lifts} lifts sending ${frames.ok ? frames.dir : ""} (frames named *bike* stand in for an e-bike)` : "no frames (give --images DIR)"}`,
      "  try first: open the console and wait for a lift hold alert, release it with 'no e-bike', then label its frames",
      "",
    ].join("\n"),
  );
  const report = setInterval(() => {
    const t = gateway.metrics.totals;
    gateway.core.log.info({ sent: sim.sent, accepted: t.messagesIn, rejected: t.rejected, written: t.pointsWritten, spooled: t.spoolPoints, ...(vendor ? { pushesFailed: vendor.failed } : {}) }, "demo running (Ctrl-C to stop)");
  }, 10_000);
  report.unref();

  return {
    gateway,
    async stop() {
      clearInterval(report);
      await sim.stop();
      detach?.();
      await gateway.stop();
      await vendor?.stop();
      await controller?.stop();
    },
  };
}

/**
 * `--devices vendor`: the simulated gates and throw cameras become Hikvision and Dahua devices, so
 * the gateway takes them by push and attach. Their logins go into a registry of the demo's own
 * (which turns on MQTT logins too: the simulator publishes the rest as one `gateway` account).
 */
async function startVendorDevices(config: Config, counts: Record<string, number> | undefined, framesDir: string | undefined, jpeg: Buffer | undefined): Promise<VendorFleet> {
  if (config.security.registry) throw new Error("--devices vendor writes the demo's own device registry: leave security.registry unset");
  const ids = new Fleet(deviceKinds, { seed: 0, ...(counts ? { counts } : {}) });
  const dataDir = resolve(config.dataDir);
  // each RTSP camera costs the gateway an ffmpeg decoding it: a few show the path, the rest send frames on MQTT
  const rtspLifts = ids.deviceIds("lift").slice(0, RTSP_LIFTS);
  const rtsp = framesDir && rtspLifts.length > 0 && canServeRtsp() ? await startRtspLifts(rtspLifts, framesDir, dataDir) : undefined;
  const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
  const registryPath = join(dataDir, "demo-devices.yaml");
  const vendor = await VendorFleet.start({
    site: config.site,
    hikvisionUrl: `http://${host}:${config.http.port}${config.push.hikvision.path}`,
    gates: ids.deviceIds("gate"),
    throwCameras: ids.deviceIds("throw"),
    registryPath,
    ...(jpeg ? { jpeg } : {}),
    ...(rtsp ? { rtsp } : {}),
  });
  config.security.registry = registryPath;
  config.push.enabled = true;
  config.push.dahua.devices.push(...vendor.dahuaDevices());
  for (const [lift, url] of Object.entries(rtsp?.urls ?? {})) config.cameras.lifts[lift] = { url };
  return vendor;
}

/** The photos the simulated cameras send: the given folder, else the sample manifest's, fetched and verified on first run. */
async function cameraFrames(images: string, samplesDir: string): Promise<{ ok: true; dir: string } | { ok: false; error: string }> {
  if (existsSync(images)) return { ok: true, dir: resolve(images) };
  return ensureSamples(samplesDir);
}
