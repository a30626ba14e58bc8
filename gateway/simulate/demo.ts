import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { deviceKinds } from "../../devices/index.ts";
import type { Config } from "../config.ts";
import { demoAccount } from "../console/auth.ts";
import { Gateway } from "../gateway.ts";
import { loadImages } from "../images.ts";
import { attachSimulatedRiders } from "../lift/sim/riders.ts";
import { startSimulatedController, type SimulatedController } from "../lift/sim/server.ts";
import { brokerUrlOf, LiveSimulation } from "./live.ts";

export interface DemoOptions {
  images: string;
  models: string;
  rate: number;
  counts?: Record<string, number>;
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
  if (config.alerts.enabled && config.alerts.console.enabled && config.alerts.console.accounts.length === 0) {
    const account = await demoAccount();
    config.alerts.console.accounts.push({ user: account.user, passwordHash: account.passwordHash, displayName: account.displayName, role: account.role });
    say(`security console: http://${config.http.host}:${config.http.port}/  user ${account.user}  password ${account.password}  (this run only)`);
  }

  let controller: SimulatedController | undefined;
  const simPort = config.lift.enabled && config.lift.link === "opcua" ? loopbackPort(config.lift.opcua.endpoint) : undefined;
  if (simPort !== undefined) controller = await startSimulatedController({ port: simPort, lifts, callsPerMinute: 2 });

  const gateway = await Gateway.start(config);
  const detach = controller ? attachSimulatedRiders(controller, gateway.core.bus, config.site) : undefined;
  const camera = existsSync(options.images) ? loadImages(options.images) : undefined;
  if (!camera) gateway.core.log.warn({ images: resolve(options.images) }, "no image folder: simulated lift cameras send no frames");
  const sim = await LiveSimulation.start(deviceKinds, { url: brokerUrlOf(config), site: config.site, rate: options.rate, seed: Date.now(), ...(camera ?? {}), ...(options.counts ? { counts: options.counts } : {}) });
  const report = setInterval(() => {
    const t = gateway.metrics.totals;
    gateway.core.log.info({ sent: sim.sent, accepted: t.messagesIn, rejected: t.rejected, written: t.pointsWritten, spooled: t.spoolPoints }, "demo running (Ctrl-C to stop)");
  }, 10_000);
  report.unref();

  return {
    gateway,
    async stop() {
      clearInterval(report);
      await sim.stop();
      detach?.();
      await gateway.stop();
      await controller?.stop();
    },
  };
}
