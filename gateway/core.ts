import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { MqttLink } from "./broker/link.ts";
import type { Channels } from "./channels/types.ts";
import type { CommandInbox } from "./commands/inbox.ts";
import type { Config } from "./config.ts";
import type { ConsolePageAdder } from "./console/pages.ts";
import type { Bus } from "./events.ts";
import type { EvidenceStore } from "./evidence/store.ts";
import type { RouteAdder } from "./http/routes.ts";
import type { Point } from "./influx/point.ts";
import type { StaffDesk } from "./staff/desk.ts";

/**
 * The services every feature is given; nothing else is shared between features. A feature that
 * needs another's work reaches it through these (the bus, the evidence store, staff logins), never
 * by importing the other feature.
 */
export interface Core {
  config: Config;
  bus: Bus;
  mqtt: MqttLink;
  /** staff and device commands, already verified (envelope, nonce, expiry, reply topic) whichever broker runs */
  commands: CommandInbox;
  /** Queues a point for InfluxDB; never throws, never blocks (the writer batches and spools). */
  writePoint(point: Point): void;
  metrics: Registry;
  log: Logger;
  http: RouteAdder;
  /** A directory the gateway owns for state (spool, alerts, audit logs). */
  dataDir: string;
  /** the one store of snapshots and frames, referenced by `{id, sha256}` and purged after `evidence.retentionDays` */
  evidence: EvidenceStore;
  /** which console login sent an HTTP request (`userOf`); the console provides the logins */
  staff: StaffDesk;
  /** the console's pages, which the one navigation every page draws lists; a feature adds its page here */
  pages: ConsolePageAdder;
  /** the chat channels (WeCom, DingTalk, JSON webhooks, MQTT topics), each paced for everyone who sends to it */
  channels: Channels;
}
