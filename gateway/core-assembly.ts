import { join } from "node:path";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { deviceKinds } from "../devices/index.ts";
import type { MqttLink } from "./broker/link.ts";
import { groupEntries, channelEntries } from "./channels/entries.ts";
import { ChannelService } from "./channels/service.ts";
import { CommandGate } from "./commands/gate.ts";
import { commandInbox } from "./commands/inbox.ts";
import type { Config } from "./config.ts";
import { ConsolePages } from "./console/pages.ts";
import { EventBus } from "./events.ts";
import { EvidenceStore } from "./evidence/store.ts";
import type { HostCore } from "./feature-host.ts";
import { HttpRoutes } from "./http/routes.ts";
import type { Point } from "./influx/point.ts";
import { TopicPolicy } from "./security/policy.ts";
import { StaffDesk } from "./staff/desk.ts";

/** The gateway's one command gate (one nonce cache), made before the broker, whose publish hook uses it. */
export function commandGateFor(config: Config): CommandGate {
  return new CommandGate({ policy: new TopicPolicy(config.site, deviceKinds), commands: config.security.commands });
}

export interface CoreParts {
  config: Config;
  mqtt: MqttLink;
  gate: CommandGate;
  writePoint(point: Point): void;
  metrics: Registry;
  log: Logger;
  /** absolute */
  dataDir: string;
  /** a listener that threw (default: logged) */
  onListenerError?: (event: string, err: unknown) => void;
}

/**
 * The chat channels every feature sends through, one paced queue per destination. Their pacing and
 * retry are `alerts.pacing` and `alerts.retry`, where they were set before other features used them.
 */
function channelsFor(parts: CoreParts): ChannelService {
  const { config } = parts;
  const { digestEveryMs } = config.alerts.pacing;
  return new ChannelService(groupEntries(channelEntries(config)), { digestEveryMs, retry: config.alerts.retry, mqtt: parts.mqtt, log: parts.log.child({ part: "channels" }), registry: parts.metrics });
}

/** The core services around a broker link, built one way for the gateway, its tools, tests and benchmarks. */
export function assembleCore(parts: CoreParts): HostCore & { channels: ChannelService } {
  const { config, mqtt, gate, log } = parts;
  return {
    config,
    bus: new EventBus(parts.onListenerError ?? ((event, err) => log.error({ err, event }, "event listener failed"))),
    mqtt,
    // the embedded broker's publish hook has checked a command before it reaches us; an external broker has not
    commands: commandInbox(mqtt, gate, { brokerVerified: config.broker.mode === "embedded" }),
    writePoint: parts.writePoint,
    metrics: parts.metrics,
    log,
    http: new HttpRoutes(),
    dataDir: parts.dataDir,
    evidence: new EvidenceStore(join(parts.dataDir, "evidence")),
    staff: new StaffDesk(),
    pages: new ConsolePages(),
    channels: channelsFor(parts),
  };
}
