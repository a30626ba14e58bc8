import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { MqttLink } from "./broker/link.ts";
import type { Config } from "./config.ts";
import type { EventBus } from "./events.ts";
import type { HttpRoutes } from "./http/routes.ts";
import type { Point } from "./influx/point.ts";

/** The few core objects every feature is given; nothing else is shared between features. */
export interface Core {
  config: Config;
  bus: EventBus;
  mqtt: MqttLink;
  /** Queues a point for InfluxDB; never throws, never blocks (the writer batches and spools). */
  writePoint(point: Point): void;
  metrics: Registry;
  log: Logger;
  http: HttpRoutes;
  /** A directory the gateway owns for state (spool, evidence, alerts). */
  dataDir: string;
}

/**
 * A feature of the gateway (ingest, detector, lift guard, alerts, ...). The constructor only keeps
 * the core; start() acquires what it needs; stop() releases all of it, so features switch off cleanly.
 */
export interface Extension {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
