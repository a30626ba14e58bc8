import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { deviceKinds } from "../devices/index.ts";
import { EmbeddedBroker } from "./broker/embedded.ts";
import { ExternalBroker } from "./broker/external.ts";
import type { MqttLink } from "./broker/link.ts";
import type { CommandGate } from "./commands/gate.ts";
import { noticesOf, type Config } from "./config.ts";
import { assembleCore, commandGateFor } from "./core-assembly.ts";
import { keepEvidenceFor } from "./evidence/retention.ts";
import type { Feature, FeatureModule } from "./feature.ts";
import { FeatureHost, startFeatures, type HostCore } from "./feature-host.ts";
import { features } from "./features.ts";
import { HealthPoints } from "./health.ts";
import { sendJson } from "./http/routes.ts";
import { HttpServer } from "./http/server.ts";
import { sinkFor } from "./influx/connect.ts";
import { Spool } from "./influx/spool.ts";
import type { Point } from "./influx/point.ts";
import { InfluxWriter, type BackPressure } from "./influx/writer.ts";
import { IngestPipeline } from "./ingest/pipeline.ts";
import { IngestRouter } from "./ingest/router.ts";
import { gatewayTopic } from "./ingest/topic.ts";
import { createLogger } from "./log.ts";
import { allMeasurements } from "./measurements.ts";
import { GatewayMetrics } from "./metrics.ts";
import { pointContext } from "./privacy.ts";
import { DahuaIngest } from "./push/dahua-ingest.ts";
import { PushIngest } from "./push/ingest.ts";
import { reportStateDamage } from "./storage/damage-report.ts";
import type { Quarantined } from "./storage/quarantine.ts";

export interface GatewayOptions {
  log?: Logger;
}

async function connectBroker(config: Config, gate: CommandGate, metrics: GatewayMetrics, log: Logger, dataDir: string): Promise<MqttLink> {
  const b = config.broker;
  if (b.mode === "embedded") return EmbeddedBroker.start({ host: b.host, port: b.port, site: config.site, security: config.security, metrics: metrics.registry, log, dataDir, commandGate: gate, awaitConsumer: true });
  return ExternalBroker.connect({
    url: b.url as string,
    clientId: b.clientId,
    username: b.username,
    password: b.password,
    statusTopic: gatewayTopic(config.site, "status"),
    shareGroup: b.shareGroup,
    sessionExpirySec: b.sessionExpirySec,
    awaitConsumer: true,
  });
}

/** Something started that must be stopped: a feature's host, or a core part (health sampling, ingest). */
interface Running {
  name: string;
  stop(): Promise<void>;
}

/**
 * The small core: broker link, command gate, event bus, InfluxDB writer, evidence store, staff
 * logins, HTTP routes; then the features of gateway/features.ts, each in its own FeatureHost, then
 * the ingest router, so that every consumer is listening before the first device message. Stopping
 * runs in reverse order.
 */
export class Gateway {
  /** in start order; stopped in reverse */
  readonly #running: Running[] = [];
  readonly #cleanup: Array<() => void> = [];

  private constructor(
    readonly core: HostCore,
    readonly metrics: GatewayMetrics,
    private readonly writer: InfluxWriter | undefined,
    private readonly spool: Spool | undefined,
    readonly http: HttpServer | undefined,
  ) {}

  static async start(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
    const log = options.log ?? createLogger(config.logLevel, config.logFormat);
    for (const notice of noticesOf(config)) log.warn(notice);
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const metrics = new GatewayMetrics(config.site);
    // before any store opens its file, so a damaged one found at start is logged and counted
    // the alerts feature opens its own database as it starts: what is found meanwhile waits for it to listen
    const damaged: Quarantined[] = [];
    let announceDamage = (q: Quarantined) => void damaged.push(q);
    const unwatchDamage = reportStateDamage(dataDir, log, metrics, (q) => announceDamage(q));

    // the bus is made with the core, after the writer: the writer's news waits for it
    let announceBackPressure: (change: BackPressure) => void = () => {};
    let writer: InfluxWriter | undefined;
    let spool: Spool | undefined;
    if (config.influx.enabled) {
      const i = config.influx;
      spool = new Spool(join(dataDir, "spool.db"), i.spool);
      writer = new InfluxWriter(
        sinkFor(config.influx, allMeasurements),
        spool,
        allMeasurements,
        { batchSize: i.batchSize, flushIntervalMs: i.flushIntervalMs, minDelayMs: i.retry.minDelayMs, maxDelayMs: i.retry.maxDelayMs },
        metrics,
        log.child({ part: "influx" }),
        (change) => announceBackPressure(change),
      );
      writer.start();
    }

    const gate = commandGateFor(config);
    const mqtt = await connectBroker(config, gate, metrics, log, dataDir);
    const core = assembleCore({ config, mqtt, gate, writePoint: writer ? (p) => writer.write(p) : () => {}, metrics: metrics.registry, log, dataDir });
    announceBackPressure = (change) => core.bus.emit("gateway.backpressure", { ...change, site: config.site });
    // one PointContext: without a salt its hash key is random, and MQTT and push must hash alike
    const points = pointContext(config.privacy);
    // one pipeline for MQTT and push, so one duplicate memory: an event both pushed and published is one event
    const { ingest } = config;
    const pipeline = new IngestPipeline(deviceKinds, { site: config.site, maxClockSkewMs: ingest.maxClockSkewMs, dedupWindow: ingest.dedupWindow, maxBytes: ingest.maxBytes, pointContext: points, counters: metrics });
    // a device is acknowledged (PUBACK, HTTP 200) once its points are on disk
    const commit = writer ? (p: readonly Point[]) => writer.writeDurably(p) : async () => {};
    // consuming from now on: a persistent session's backlog arrives as soon as the link is up
    const router = new IngestRouter(core, pipeline, commit);
    await router.start();
    const routes = core.http;
    routes.add("GET", "/metrics", async (_req, res) => {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(body);
    });
    // the HTTP server is up before the features start; until they all have, the gateway is not "ok"
    let started = false;
    routes.add("GET", "/healthz", (_req, res) => {
      // 503 while devices go unacknowledged, so a monitor that only reads the status sees it
      const backPressure = writer?.backPressure;
      if (!started) sendJson(res, 503, { status: "starting", site: config.site, ...metrics.totals });
      else if (backPressure) sendJson(res, 503, { status: "backpressure", site: config.site, backPressure, ...metrics.totals });
      else sendJson(res, 200, { status: "ok", site: config.site, ...metrics.totals });
    });
    const http = config.http.enabled ? await HttpServer.start(routes, config.http.host, config.http.port, log) : undefined;

    const gateway = new Gateway(core, metrics, writer, spool, http);
    // first in, so stopped after every feature that sends through the channels
    gateway.#running.push({ name: "channels", stop: () => core.channels.stop() });
    gateway.#cleanup.push(unwatchDamage);
    gateway.#cleanup.push(keepEvidenceFor(core.evidence, config.evidence.retentionDays, log.child({ part: "evidence" })));
    const health = new HealthPoints(core, metrics, hostname());
    await health.start();
    gateway.#running.push(health);
    gateway.#running.push(router);
    gateway.#running.push(...(await startFeatures(features, core)));
    router.open();
    announceDamage = (q) => void core.bus.emit("state.quarantined", { ...q, site: config.site });
    for (const q of damaged.splice(0)) announceDamage(q);
    if (config.push.enabled) {
      const push = new PushIngest(core, pipeline, metrics, commit);
      push.start();
      gateway.#running.push({ name: "push", stop: async () => push.stop() });
      const dahua = new DahuaIngest(core, pipeline, metrics);
      dahua.start();
      gateway.#running.push({ name: "dahua", stop: async () => dahua.stop() });
    }
    await mqtt.publish(gatewayTopic(config.site, "status"), "online", { qos: 1, retain: true });
    started = true;
    log.info({ site: config.site, broker: config.broker.mode, influx: config.influx.enabled ? `${config.influx.url} (v${config.influx.version})` : "off", http: http ? `${config.http.host}:${http.port}` : "off" }, "linli gateway started");
    return gateway;
  }

  /** The running instance of a feature, when it is enabled (its config schema does not matter here, hence `any`). */
  feature<F extends Feature>(module: FeatureModule<string, any, F>): F | undefined {
    const host = this.#running.find((r): r is FeatureHost => r instanceof FeatureHost && r.name === module.key);
    return host?.feature as F | undefined;
  }

  /** The embedded broker, when the gateway runs one. */
  get broker(): EmbeddedBroker | undefined {
    return this.core.mqtt instanceof EmbeddedBroker ? this.core.mqtt : undefined;
  }

  async stop(): Promise<void> {
    for (const part of this.#running.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        this.core.log.error({ err, part: part.name }, "failed to stop");
      }
    }
    for (const fn of this.#cleanup.splice(0)) fn();
    await this.core.mqtt.publish(gatewayTopic(this.core.config.site, "status"), "offline", { qos: 1, retain: true }).catch(() => {});
    await this.writer?.stop();
    this.spool?.close();
    await this.http?.close();
    await this.core.mqtt.close();
    this.core.evidence.close();
  }
}
