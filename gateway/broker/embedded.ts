import { existsSync, readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { resolve } from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { Aedes } from "aedes";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import { deviceKinds } from "../../devices/index.ts";
import { CommandGate } from "../commands/gate.ts";
import { ConfigError } from "../config.ts";
import type { DeviceKind } from "../../devices/types.ts";
import { AuditLog } from "../security/audit.ts";
import { securityConfigSchema, type SecurityConfig, type SecurityConfigInput } from "../security/config.ts";
import { BrokerSecurity } from "../security/hooks.ts";
import { SecurityMetrics } from "../security/metrics.ts";
import { TopicPolicy } from "../security/policy.ts";
import { DeviceRegistry } from "../security/registry.ts";
import { Consumers } from "./consumers.ts";
import type { Consumer, InboundMessage, MqttLink, PublishOptions } from "./link.ts";

export interface EmbeddedOptions {
  host: string;
  /** the plain listener's port (unless security.plain is false) */
  port: number;
  /** the site whose topics devices may use; default `demo` */
  site?: string;
  /** security config (gateway config key `security`); default: no registry, loopback only */
  security?: SecurityConfigInput;
  /** a registry object instead of security.registry's file (tests) */
  registry?: DeviceRegistry;
  /** the Prometheus registry the security counters go to (the gateway's) */
  metrics?: Registry;
  log?: Logger;
  /** security.auditFile is relative to this */
  dataDir?: string;
  kinds?: readonly DeviceKind[];
  /** the gateway's command gate, for staff commands; default: one of the broker's own (standalone use) */
  commandGate?: CommandGate;
  /** hold messages that arrive before the first consumer (the gateway's ingest) until it is there */
  awaitConsumer?: boolean;
}

type Deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void;

/** A ConfigError, so `linli start` prints it and exits 2 like any bad config. */
export class BrokerConfigError extends ConfigError {}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * The embedded aedes broker with its listeners: plain MQTT and/or MQTT over TLS, behind
 * gateway/security's hooks and limits. The gateway consumes in-process through aedes' own
 * subscription API: no socket, no re-encoding of packets, about twice the rate of a TCP client;
 * its own publishes and subscriptions bypass authorisation (it is the one trusted party).
 */
export class EmbeddedBroker implements MqttLink {
  readonly #consumers: Consumers;

  private constructor(
    readonly aedes: Aedes,
    private readonly server: Server | undefined,
    private readonly tlsServer: TlsServer | undefined,
    readonly security: BrokerSecurity,
    readonly securityMetrics: SecurityMetrics,
    private readonly registryFile: string | undefined,
    awaitConsumer: boolean,
  ) {
    this.#consumers = new Consumers(awaitConsumer);
    security.ingest = (packet) => this.#consumers.deliver({ topic: packet.topic, payload: typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload });
  }

  static async start(options: EmbeddedOptions): Promise<EmbeddedBroker> {
    const config: SecurityConfig = securityConfigSchema.parse(options.security ?? {});
    const log = (options.log ?? pino({ level: "silent" })).child({ part: "broker" });
    const registryFile = options.registry ? undefined : config.registry ? resolve(config.registry) : undefined;
    const registry = options.registry ?? (registryFile ? DeviceRegistry.load(registryFile) : undefined);

    if (!config.plain && !config.tls.enabled) throw new BrokerConfigError("security.plain is false and security.tls.enabled is false: the embedded broker would have no listener");
    if (!registry && !isLoopback(options.host)) {
      throw new BrokerConfigError(
        `broker.host ${options.host} is not a loopback address, and no device registry is configured: the embedded broker would let anyone on the network in. ` +
          "Set security.registry to a devices.yaml (linli devices add), or bind broker.host to 127.0.0.1.",
      );
    }
    if (config.tls.enabled && (!config.tls.cert || !config.tls.key)) throw new BrokerConfigError("security.tls.enabled needs security.tls.cert and security.tls.key (PEM files)");

    const policy = new TopicPolicy(options.site ?? "demo", options.kinds ?? deviceKinds);
    const commandGate = options.commandGate ?? new CommandGate({ policy, commands: config.commands });
    if (commandGate.site !== policy.site) throw new Error(`the command gate is for site ${commandGate.site}, the broker for site ${policy.site}`);
    const metrics = new SecurityMetrics(options.metrics ?? new Registry());
    const security = new BrokerSecurity({
      policy,
      config,
      metrics,
      log,
      commandGate,
      ...(registry ? { registry, audit: new AuditLog(resolve(options.dataDir ?? "data", config.auditFile)) } : {}),
    });
    const aedes = await Aedes.createBroker({
      drainTimeout: 30_000,
      heartbeatInterval: 60_000,
      connectTimeout: config.limits.connectTimeoutMs,
      maxInflightInbound: config.limits.maxInflight,
      maxClientsIdLength: 64,
    });
    security.install(aedes);
    const onConnection = security.connectionHandler(aedes);

    let server: Server | undefined;
    let tlsServer: TlsServer | undefined;
    try {
      if (config.plain) {
        server = createServer(onConnection);
        await listen(server, options.port, options.host);
      }
      if (config.tls.enabled) {
        const t = config.tls;
        tlsServer = createTlsServer(
          {
            cert: readFileSync(t.cert as string),
            key: readFileSync(t.key as string),
            ...(t.ca ? { ca: readFileSync(t.ca) } : {}),
            requestCert: t.requestCert,
            // a certificate is checked against the registry's fingerprints (pinning), not only a CA
            rejectUnauthorized: false,
            minVersion: "TLSv1.2",
            handshakeTimeout: config.limits.connectTimeoutMs,
          },
          onConnection,
        );
        // the same bound before the handshake: sockets past it are dropped by Node, and counted here
        tlsServer.maxConnections = config.limits.maxConnections;
        tlsServer.on("drop", () => metrics.refused("max_connections"));
        await listen(tlsServer, t.port, options.host);
      }
    } catch (err) {
      server?.close();
      tlsServer?.close();
      await new Promise<void>((r) => aedes.close(() => r()));
      throw err;
    }

    const broker = new EmbeddedBroker(aedes, server, tlsServer, security, metrics, registryFile, options.awaitConsumer ?? false);
    if (registryFile) {
      watchFile(registryFile, { interval: 2_000, persistent: false }, () => broker.reloadRegistry(log));
    }
    const listeners = [server ? `mqtt://${options.host}:${broker.address.port}` : undefined, tlsServer ? `mqtts://${options.host}:${broker.tlsAddress?.port}` : undefined].filter(Boolean);
    if (registry) {
      log.info({ listeners, registry: registryFile ?? "(given)", devices: registry.devices.length, accounts: registry.accounts.length }, "embedded broker: authentication required (device registry)");
    } else {
      log.warn({ listeners }, "embedded broker: no device registry, anonymous clients accepted on loopback only (set security.registry to accept devices from the network)");
      if (existsSync("devices.yaml")) log.warn({ registry: resolve("devices.yaml") }, "devices.yaml is here but security.registry is not set: the registry is NOT in use");
    }
    return broker;
  }

  /** Re-reads the registry file; a broken file is reported and the old registry kept. */
  reloadRegistry(log?: Logger): boolean {
    if (!this.registryFile) return false;
    try {
      this.security.setRegistry(DeviceRegistry.load(this.registryFile));
      log?.info({ registry: this.registryFile }, "device registry reloaded");
      return true;
    } catch (err) {
      log?.error({ err: (err as Error).message }, "device registry not reloaded: keeping the previous one");
      return false;
    }
  }

  /** The bound address of the plain listener (or the TLS one when plain is off): useful when the port was 0. */
  get address(): { host: string; port: number } {
    const a = (this.server ?? this.tlsServer)?.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  get tlsAddress(): { host: string; port: number } | undefined {
    const a = this.tlsServer?.address() as AddressInfo | undefined;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  async subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<() => Promise<void>> {
    const deliver: Deliver = (packet, cb) => {
      try {
        handler({ topic: packet.topic, payload: typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload });
      } finally {
        cb();
      }
    };
    await new Promise<void>((resolve) => this.aedes.subscribe(filter, deliver as never, resolve));
    return () => new Promise<void>((resolve) => this.aedes.unsubscribe(filter, deliver as never, resolve));
  }

  async consume(filter: string, consumer: Consumer): Promise<() => Promise<void>> {
    const remove = this.#consumers.add(filter, consumer);
    return async () => void remove();
  }

  /** The gateway's own publish: aedes.publish skips the hooks, so the consumer is called here. */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
    const consumed = this.#consumers.deliver({ topic, payload: bytes });
    await new Promise<void>((resolve, reject) =>
      this.aedes.publish({ cmd: "publish", topic, payload: bytes, qos: options.qos ?? 0, retain: options.retain ?? false, dup: false }, (err?: Error | null) => (err ? reject(err) : resolve())),
    );
    await consumed;
  }

  async close(): Promise<void> {
    if (this.registryFile) unwatchFile(this.registryFile);
    const closing = [this.server, this.tlsServer].filter((s): s is Server => s !== undefined).map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    this.security.closeAll();
    await Promise.all(closing);
  }
}
