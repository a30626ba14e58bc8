import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { deviceKinds } from "../devices/index.ts";
import { AlertsExtension } from "./alerts/extension.ts";
import { EmbeddedBroker } from "./broker/embedded.ts";
import { ExternalBroker } from "./broker/external.ts";
import type { MqttLink } from "./broker/link.ts";
import type { Config } from "./config.ts";
import { DetectorExtension } from "./detector/extension.ts";
import { EventBus } from "./events.ts";
import type { Core, Extension } from "./extension.ts";
import { HealthPoints } from "./health.ts";
import { HttpRoutes, sendJson } from "./http/routes.ts";
import { HttpServer } from "./http/server.ts";
import { sinkFor } from "./influx/connect.ts";
import { Spool } from "./influx/spool.ts";
import { InfluxWriter } from "./influx/writer.ts";
import { IngestRouter } from "./ingest/router.ts";
import { gatewayTopic } from "./ingest/topic.ts";
import { LiftGuardExtension } from "./lift/extension.ts";
import { createLogger } from "./log.ts";
import { allMeasurements } from "./measurements.ts";
import { GatewayMetrics } from "./metrics.ts";
import { pointContext } from "./privacy.ts";

export interface GatewayOptions {
  log?: Logger;
}

async function connectBroker(config: Config, metrics: GatewayMetrics, log: Logger, dataDir: string): Promise<MqttLink> {
  const b = config.broker;
  if (b.mode === "embedded") return EmbeddedBroker.start({ host: b.host, port: b.port, site: config.site, security: config.security, metrics: metrics.registry, log, dataDir });
  return ExternalBroker.connect({
    url: b.url as string,
    clientId: b.clientId,
    username: b.username,
    password: b.password,
    statusTopic: gatewayTopic(config.site, "status"),
    shareGroup: b.shareGroup,
  });
}

/**
 * The small core: broker link, event bus, InfluxDB writer, HTTP routes; then the features, each an
 * Extension that starts and stops on its own. Stopping runs in reverse order.
 */
export class Gateway {
  readonly extensions: Extension[] = [];

  private constructor(
    readonly core: Core,
    readonly metrics: GatewayMetrics,
    private readonly writer: InfluxWriter | undefined,
    private readonly spool: Spool | undefined,
    readonly http: HttpServer | undefined,
  ) {}

  static async start(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
    const log = options.log ?? createLogger(config.logLevel);
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const metrics = new GatewayMetrics(config.site);
    const bus = new EventBus((event, err) => log.error({ err, event }, "event listener failed"));

    let writer: InfluxWriter | undefined;
    let spool: Spool | undefined;
    if (config.influx.enabled) {
      const i = config.influx;
      spool = new Spool(join(dataDir, "spool.db"), i.spool.maxBytes);
      writer = new InfluxWriter(
        sinkFor(config.influx, allMeasurements),
        spool,
        allMeasurements,
        { batchSize: i.batchSize, flushIntervalMs: i.flushIntervalMs, minDelayMs: i.retry.minDelayMs, maxDelayMs: i.retry.maxDelayMs },
        metrics,
        log.child({ part: "influx" }),
      );
      writer.start();
    }

    const mqtt = await connectBroker(config, metrics, log, dataDir);
    const routes = new HttpRoutes();
    const core: Core = {
      config,
      bus,
      mqtt,
      writePoint: writer ? (p) => writer.write(p) : () => {},
      metrics: metrics.registry,
      log,
      http: routes,
      dataDir,
    };
    routes.add("GET", "/metrics", async (_req, res) => {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(body);
    });
    routes.add("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok", site: config.site, ...metrics.totals }));
    const http = config.http.enabled ? await HttpServer.start(routes, config.http.host, config.http.port, log) : undefined;

    const gateway = new Gateway(core, metrics, writer, spool, http);
    // Consumers start before the ingest router, so no device event is missed; stop runs in reverse.
    const features: Extension[] = [new HealthPoints(core, metrics, hostname())];
    const alerts = config.alerts.enabled ? new AlertsExtension(core, config.alerts) : undefined;
    if (alerts) features.push(alerts);
    if (config.detector.enabled) features.push(new DetectorExtension(core, config.detector));
    // Releasing a hold or disabling a guard over HTTP needs a console login; without the console, nobody.
    if (config.lift.enabled) features.push(new LiftGuardExtension(core, config.lift, { authenticate: (req) => alerts?.staffUser(req) }));
    features.push(new IngestRouter(core, deviceKinds, metrics, pointContext(config.privacy)));
    for (const ext of features) {
      await ext.start();
      gateway.extensions.push(ext);
    }
    await mqtt.publish(gatewayTopic(config.site, "status"), "online", { qos: 1, retain: true });
    log.info({ site: config.site, broker: config.broker.mode, influx: config.influx.enabled ? `${config.influx.url} (v${config.influx.version})` : "off", http: http ? `${config.http.host}:${http.port}` : "off" }, "linli gateway started");
    return gateway;
  }

  /** The embedded broker, when the gateway runs one. */
  get broker(): EmbeddedBroker | undefined {
    return this.core.mqtt instanceof EmbeddedBroker ? this.core.mqtt : undefined;
  }

  async stop(): Promise<void> {
    for (const ext of [...this.extensions].reverse()) {
      try {
        await ext.stop();
      } catch (err) {
        this.core.log.error({ err, extension: ext.name }, "extension failed to stop");
      }
    }
    this.extensions.length = 0;
    await this.core.mqtt.publish(gatewayTopic(this.core.config.site, "status"), "offline", { qos: 1, retain: true }).catch(() => {});
    await this.writer?.stop();
    this.spool?.close();
    await this.http?.close();
    await this.core.mqtt.close();
  }
}
