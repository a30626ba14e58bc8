import { existsSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { deviceKinds } from "../devices/index.ts";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { registerConsoleUserCommands } from "./console/cli.ts";
import { features } from "./features.ts";
import { Gateway } from "./gateway.ts";
import { loadImages } from "./images.ts";
import { sinkFor } from "./influx/connect.ts";
import { allMeasurements } from "./measurements.ts";
import { pointContext } from "./privacy.ts";
import { schemaMarkdown } from "./schema-doc.ts";
import { registerDeviceCommands } from "./security/cli.ts";
import { brokerUrlOf, LiveSimulation } from "./simulate/live.ts";
import { writePastDay } from "./simulate/past-day.ts";

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function deviceMode(value: string): "mqtt" | "vendor" {
  if (value !== "mqtt" && value !== "vendor") throw new InvalidArgumentError("mqtt or vendor");
  return value;
}

/** `lift=3,charger=5` -> { lift: 3, charger: 5 } */
function counts(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of value.split(",")) {
    const [kind, n] = part.split("=");
    if (!kind || !n || !/^\d+$/.test(n)) throw new InvalidArgumentError("expected kind=count[,kind=count...]");
    out[kind] = Number(n);
  }
  return out;
}

/** linli.yaml in the working directory is read when no --config is given. */
function configFrom(file: string | undefined): Config {
  const path = file ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined);
  return loadConfig(path);
}

function untilSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

export function buildProgram(): Command {
  const program = new Command("linli").description("linli (邻里): edge gateway for residential compounds").showHelpAfterError();

  program
    .command("start")
    .description("run the gateway")
    .option("-c, --config <file>", "YAML config file (default: ./linli.yaml when present)")
    .action(async (opts: { config?: string }) => {
      const gateway = await Gateway.start(configFrom(opts.config));
      untilSignal(() => gateway.stop());
    });

  program
    .command("demo")
    .description("run the gateway on embedded defaults with a simulated compound publishing to it")
    .option("-c, --config <file>", "YAML config file")
    .option("--images <dir>", "frames for the simulated lift cameras (files named *bike* show an e-bike)", "../shared/images")
    .option("--models <dir>", "a folder with the detector's weights, used instead of downloading them", "../shared/models")
    .option("--rate <n>", "simulated seconds per real second", positive, 1)
    .option("--counts <spec>", "devices per kind, e.g. lift=30,gate=4,charger=30,throw=40", counts)
    .option("--devices <mode>", "mqtt: every device on MQTT; vendor: gates and throw cameras as Hikvision pushers and Dahua event streams, two lift cameras over RTSP", deviceMode, "mqtt")
    .action(async (opts: { config?: string; images: string; models: string; rate: number; counts?: Record<string, number>; devices: "mqtt" | "vendor" }) => {
      // node-opcua (the simulated lift controller) loads only for the demo: other commands stay quiet and quick
      const { startDemo } = await import("./simulate/demo.ts");
      const demo = await startDemo(configFrom(opts.config), { images: opts.images, models: opts.models, rate: opts.rate, devices: opts.devices, ...(opts.counts ? { counts: opts.counts } : {}) }, (line) => console.log(line));
      untilSignal(() => demo.stop());
    });

  program
    .command("simulate")
    .description("publish a simulated compound's traffic to a broker, or write a past day into InfluxDB")
    .option("-c, --config <file>", "YAML config file (site, broker, influx)")
    .option("--url <url>", "broker to publish to (default: from config)")
    .option("--rate <n>", "simulated seconds per real second", positive, 1)
    .option("--counts <spec>", "devices per kind, e.g. lift=30,gate=4,charger=30,throw=40", counts)
    .option("--images <dir>", "frames for the simulated lift cameras")
    .option("--seed <n>", "random seed, for a reproducible run", positive)
    .option("--past-day", "write the past day straight into InfluxDB, as fast as it takes it: traffic, detector verdicts, lift holds, the alerts and work orders they raise, car park counts")
    .option("--hours <n>", "with --past-day: how many hours", positive, 24)
    .option("--days <n>", "with --past-day: how many days (a week for the weekly report: --days 7); instead of --hours", positive)
    .action(async (opts: { config?: string; url?: string; rate: number; counts?: Record<string, number>; images?: string; seed?: number; pastDay?: boolean; hours: number; days?: number }) => {
      const config = configFrom(opts.config);
      const seed = opts.seed ?? Date.now();
      const fleet = { seed, ...(opts.counts ? { counts: opts.counts } : {}) };
      if (opts.pastDay) {
        const sink = sinkFor(config.influx, allMeasurements);
        const started = Date.now();
        const hours = opts.days === undefined ? opts.hours : opts.days * 24;
        const result = await writePastDay(deviceKinds, allMeasurements, sink, pointContext(config.privacy), { ...fleet, site: config.site, hours, alerts: config.alerts, orders: config.orders, parking: config.parking, detector: config.detector });
        console.log(`wrote ${result.points} points from ${result.messages} simulated messages (${Math.round(hours * 100) / 100} h) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
      const camera = opts.images ? loadImages(opts.images) : undefined;
      const sim = await LiveSimulation.start(deviceKinds, { ...fleet, url: opts.url ?? brokerUrlOf(config), site: config.site, rate: opts.rate, ...(camera ?? {}) });
      const report = setInterval(() => console.log(`sent ${sim.sent} messages`), 10_000);
      untilSignal(async () => {
        clearInterval(report);
        await sim.stop();
      });
    });

  registerDeviceCommands(program);
  for (const feature of features) feature.commands?.(program);
  // after the features: `console` itself comes with the alerts feature that serves the console
  registerConsoleUserCommands(program);

  program
    .command("schema")
    .description("print the InfluxDB measurement schema as Markdown (docs/schema.md)")
    .action(() => {
      process.stdout.write(schemaMarkdown(allMeasurements));
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
