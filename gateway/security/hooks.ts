import type { Socket } from "node:net";
import type { Aedes, Client, PublishPacket } from "aedes";
import type { Logger } from "pino";
import type { CommandGate } from "../commands/gate.ts";
import type { AuditLog } from "./audit.ts";
import { Authentication } from "./authentication.ts";
import { Authorisation } from "./authorisation.ts";
import { PublishThrottle, SocketLimits } from "./client-limits.ts";
import type { SecurityConfig } from "./config.ts";
import type { SecurityMetrics } from "./metrics.ts";
import type { TopicPolicy } from "./policy.ts";
import type { DeviceRegistry } from "./registry.ts";
import { Refusals } from "./refusals.ts";
import { StaffCommands } from "./staff-commands.ts";

export interface BrokerSecurityOptions {
  policy: TopicPolicy;
  config: SecurityConfig;
  metrics: SecurityMetrics;
  log: Logger;
  /** checks staff accounts' commands; the gateway's one, so a nonce is spent everywhere at once */
  commandGate: CommandGate;
  /** unset: anonymous clients (the broker then listens on loopback only) */
  registry?: DeviceRegistry;
  audit?: AuditLog;
  now?: () => number;
}

/**
 * The embedded broker's gatekeeper: aedes' preConnect/authenticate/authorize hooks, and the
 * connection listener that enforces the socket-level limits (connections, packet size) before
 * aedes sees a byte. The gateway's own in-process publishes and subscriptions never pass through
 * here (aedes.publish / aedes.subscribe bypass authorisation): that is how the gateway is trusted.
 * A publish passes, in order: who sent it (authentication), may they (authorisation), a staff
 * command's envelope (the command gate), and the sender's rate (limits).
 */
export class BrokerSecurity {
  readonly commandGate: CommandGate;
  readonly #refusals: Refusals;
  readonly #authentication: Authentication;
  readonly #authorisation: Authorisation;
  readonly #staff: StaffCommands;
  readonly #sockets: SocketLimits;
  readonly #throttle: PublishThrottle;

  constructor(options: BrokerSecurityOptions) {
    const { config, metrics, log, audit } = options;
    const now = options.now ?? Date.now;
    this.commandGate = options.commandGate;
    this.#refusals = new Refusals(metrics, log);
    this.#authentication = new Authentication({ site: options.policy.site, slowdown: config.authFailures, metrics, log, registry: options.registry, now });
    this.#authorisation = new Authorisation({ policy: options.policy, refusals: this.#refusals, metrics, log, audit, now });
    this.#staff = new StaffCommands({ gate: options.commandGate, refusals: this.#refusals, metrics, audit, now });
    this.#sockets = new SocketLimits(config.limits, this.#refusals, metrics, log);
    this.#throttle = new PublishThrottle(config.limits, this.#refusals, metrics, now);
  }

  get registry(): DeviceRegistry | undefined {
    return this.#authentication.registry;
  }

  get connections(): number {
    return this.#sockets.connections;
  }

  /** A new registry (the file changed): later logins use it; clients it no longer knows are disconnected. */
  setRegistry(registry: DeviceRegistry): void {
    this.#authentication.setRegistry(registry);
  }

  /**
   * The ingest path, run for each authorised publish before aedes acknowledges it: a QoS 1 or 2
   * message's PUBACK/PUBREC waits for the returned promise (its points on disk), and a rejection
   * closes the connection unacknowledged, so the device sends the message again. This hook is the
   * only point where aedes lets a handler delay the acknowledgement: it acks before it delivers.
   */
  ingest: ((packet: PublishPacket) => Promise<void> | undefined) | undefined;

  install(aedes: Aedes): void {
    aedes.preConnect = (_client, _packet, cb) => cb(null, true);
    aedes.authenticate = (client, username, password, cb) => this.#authentication.authenticate(client, username, password, cb);
    aedes.authorizePublish = (client, packet, cb) => this.#authorizePublish(client, packet, cb);
    aedes.authorizeSubscribe = (client, sub, cb) => this.#authorisation.subscribe(client, this.#authentication.identityOf(client), sub, cb);
    this.#refusals.install(aedes);
  }

  /** The connection listener for the TCP and TLS servers: socket-level limits, then aedes. */
  connectionHandler(aedes: Aedes): (socket: Socket) => void {
    return this.#sockets.connectionHandler(aedes);
  }

  /** Destroys every open socket (shutdown). */
  closeAll(): void {
    this.#sockets.closeAll();
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, cb: (error?: Error | null) => void): void {
    if (!client) return cb(null); // an obsolete will with no client: aedes' own housekeeping
    const allowed = this.#authorisation.publish(client, this.#authentication.identityOf(client), packet);
    if (!allowed.ok) return cb(allowed.refusal);
    const { identity } = allowed;
    if (identity.type === "account" && identity.role === "staff") {
      const refused = this.#staff.check(client, identity, packet, allowed.topic);
      if (refused) return cb(refused);
    }
    this.#throttle.admit(client, identity, (err) => (err ? cb(err) : this.#ingest(packet, cb)));
  }

  #ingest(packet: PublishPacket, cb: (error?: Error | null) => void): void {
    const settled = this.ingest?.(packet);
    if (!settled) return cb(null);
    if (packet.qos === 0) {
      // fire-and-forget: its loss is the sender's choice; the consumer counts its own failures
      settled.catch(() => {});
      return cb(null);
    }
    settled.then(
      () => cb(null),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
