import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Aedes, AuthenticateError, Client, PublishPacket, Subscription } from "aedes";
import type { Logger } from "pino";
import type { AuditLog } from "./audit.ts";
import type { SecurityConfig } from "./config.ts";
import { CommandVerifier } from "./envelope.ts";
import { FailureSlowdown, PacketSizeGuard, TokenBucket } from "./limits.ts";
import type { AuthFailure, SecurityMetrics } from "./metrics.ts";
import { certificateFingerprint, verifyPassword } from "./password.ts";
import type { Identity, TopicClass, TopicPolicy } from "./policy.ts";
import type { DeviceRegistry, RegistryEntry } from "./registry.ts";

export interface BrokerSecurityOptions {
  policy: TopicPolicy;
  config: SecurityConfig;
  metrics: SecurityMetrics;
  log: Logger;
  /** unset: anonymous clients (the broker then listens on loopback only) */
  registry?: DeviceRegistry;
  audit?: AuditLog;
  now?: () => number;
}

/** An error this module raised and already counted (so the clientError listener does not count it again). */
class Refusal extends Error {
  readonly counted = true;
  returnCode?: number;
}

const NETWORK_ERRORS = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

interface ClientState {
  identity: Identity;
  bucket?: TokenBucket;
  pending: number;
}

/**
 * The embedded broker's gatekeeper: aedes' preConnect/authenticate/authorize hooks, and the
 * connection listener that enforces the socket-level limits (connections, packet size) before
 * aedes sees a byte. The gateway's own in-process publishes and subscriptions never pass through
 * here (aedes.publish / aedes.subscribe bypass authorisation): that is how the gateway is trusted.
 */
export class BrokerSecurity {
  readonly verifier: CommandVerifier;
  readonly #policy: TopicPolicy;
  readonly #config: SecurityConfig;
  readonly #metrics: SecurityMetrics;
  readonly #log: Logger;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;
  readonly #slowdown: FailureSlowdown;
  /** per client, weakly: a will published while its client closes still finds who it was */
  readonly #clients = new WeakMap<Client, ClientState>();
  /** the authenticated clients with an open connection, for registry reloads */
  readonly #live = new Set<Client>();
  readonly #sockets = new Set<Socket>();
  /** connections closed (and counted) here: what aedes then says about their remaining packets is not counted again */
  readonly #guarded = new WeakSet<object>();
  /** id -> the stored hash and a keyed digest of the last secret that matched it: reconnects skip scrypt */
  readonly #verified = new Map<string, { hash: string; digest: Buffer }>();
  readonly #cacheKey = randomBytes(32);
  #registry: DeviceRegistry | undefined;

  constructor(options: BrokerSecurityOptions) {
    this.#policy = options.policy;
    this.#config = options.config;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#registry = options.registry;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#slowdown = new FailureSlowdown(options.config.authFailures);
    this.verifier = new CommandVerifier({ maxTtlMs: options.config.commands.maxTtlMs, maxEntries: options.config.commands.replayCacheSize, now: this.#now });
  }

  get registry(): DeviceRegistry | undefined {
    return this.#registry;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** A new registry (the file changed): later logins use it; clients it no longer knows are disconnected. */
  setRegistry(registry: DeviceRegistry): void {
    this.#registry = registry;
    this.#verified.clear();
    for (const client of this.#live) {
      const state = this.#clients.get(client);
      if (!state || state.identity.type === "anonymous") continue;
      const entry = registry.get(state.identity.id);
      if (!entry || entry.disabled) {
        this.#log.warn({ clientId: client.id, id: state.identity.id }, "registry entry removed or disabled: disconnecting");
        client.close();
      }
    }
  }

  install(aedes: Aedes): void {
    aedes.preConnect = (_client, _packet, cb) => cb(null, true);
    aedes.authenticate = (client, username, password, cb) => this.#authenticate(client, username, password, cb);
    aedes.authorizePublish = (client, packet, cb) => this.#authorizePublish(client, packet, cb);
    aedes.authorizeSubscribe = (client, sub, cb) => this.#authorizeSubscribe(client, sub, cb);
    const onError = (client: Client, err: Error & { code?: string }) => {
      if ((err as Partial<Refusal>).counted || (err.code && NETWORK_ERRORS.has(err.code)) || (client && this.#guarded.has(client.conn))) return;
      this.#metrics.protocolError();
      this.#log.debug({ clientId: client?.id, address: addressOf(client?.conn), err: err.message }, "mqtt client error");
    };
    aedes.on("clientError", onError);
    aedes.on("connectionError", onError);
  }

  /** The connection listener for the TCP and TLS servers: socket-level limits, then aedes. */
  connectionHandler(aedes: Aedes): (socket: Socket) => void {
    const { maxConnections, maxPacketBytes } = this.#config.limits;
    return (socket) => {
      socket.on("error", () => {}); // aedes reports errors of sockets it took; this covers the ones refused here
      if (this.#sockets.size >= maxConnections) {
        this.#metrics.refused("max_connections");
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      this.#metrics.connections(this.#sockets.size);
      socket.once("close", () => {
        this.#sockets.delete(socket);
        this.#metrics.connections(this.#sockets.size);
      });
      aedes.handle(socket);
      // After aedes attached its 'readable' listener, a 'data' listener sees each chunk as aedes reads
      // it (Node emits 'data' from read() in paused mode), before the parser could grow a buffer.
      const guard = new PacketSizeGuard(maxPacketBytes);
      const onData = (chunk: Buffer) => {
        const verdict = guard.feed(chunk);
        if (verdict.ok) return;
        socket.off("data", onData);
        this.#guarded.add(socket);
        if (verdict.reason === "packet_size") this.#metrics.disconnected("packet_size");
        else this.#metrics.disconnected("malformed_header");
        this.#log.warn({ address: addressOf(socket), ...(verdict.reason === "packet_size" ? { declared: verdict.declared, max: maxPacketBytes } : {}) }, `mqtt connection closed: ${verdict.reason}`);
        socket.destroy();
      };
      socket.on("data", onData);
    };
  }

  /** Destroys every open socket (shutdown). */
  closeAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  #authenticate(client: Client, username: string | undefined, password: Buffer | undefined, cb: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const registry = this.#registry;
    if (!registry) {
      const identity: Identity = { type: "anonymous" };
      this.#clients.set(client, { identity, pending: 0, ...(this.#limited(identity) ? { bucket: this.#bucket() } : {}) });
      cb(null, true);
      return;
    }
    const address = addressOf(client.conn) ?? "unknown";
    const wait = this.#slowdown.delayFor(address, this.#now());
    const check = () => {
      if (client.closed) return; // gave up while slowed down: no need to spend a hash on it
      this.#check(registry, client, username, password).then(
        (result) => {
          if (client.closed) return;
          if (result.ok) {
            this.#clients.set(client, { identity: result.identity, pending: 0, ...(this.#limited(result.identity) ? { bucket: this.#bucket() } : {}) });
            this.#live.add(client);
            client.conn.once("close", () => this.#live.delete(client));
            this.#log.debug({ clientId: client.id, id: result.identity.type === "anonymous" ? undefined : result.identity.id, address }, "mqtt client authenticated");
            cb(null, true);
            return;
          }
          this.#slowdown.failed(address, this.#now());
          this.#metrics.authFailure(result.reason);
          this.#log.warn({ clientId: client.id, username, address, reason: result.reason }, "mqtt login refused");
          const err = new Refusal(`login refused: ${result.reason}`);
          err.returnCode = result.reason === "client_id_mismatch" ? 2 : result.reason === "bad_password" || result.reason === "unknown_client" || result.reason === "anonymous" ? 4 : 5;
          cb(err as unknown as AuthenticateError, false);
        },
        (err: unknown) => {
          this.#log.error({ err, clientId: client.id }, "mqtt login check failed");
          const refusal = new Refusal("login check failed");
          refusal.returnCode = 3;
          cb(refusal as unknown as AuthenticateError, false);
        },
      );
    };
    if (wait > 0) {
      this.#metrics.authSlowed();
      setTimeout(check, wait).unref();
    }
    else check();
  }

  async #check(registry: DeviceRegistry, client: Client, username: string | undefined, password: Buffer | undefined): Promise<{ ok: true; identity: Identity } | { ok: false; reason: AuthFailure }> {
    const fingerprint = peerFingerprint(client.conn);
    const id = username || (fingerprint ? client.id : undefined);
    if (!id) return { ok: false, reason: "anonymous" };
    const entry = registry.get(id);
    if (!entry) {
      if (password) await verifyPassword(password.toString("utf8"), DUMMY_HASH); // as slow as a known id
      return { ok: false, reason: "unknown_client" };
    }
    if (entry.disabled) return { ok: false, reason: "disabled" };
    if (entry.type === "device" ? client.id !== entry.id : client.id !== entry.id && !client.id.startsWith(`${entry.id}-`)) return { ok: false, reason: "client_id_mismatch" };
    if (entry.site !== this.#policy.site) return { ok: false, reason: "other_site" };
    if (fingerprint && entry.fingerprint) {
      if (fingerprint !== entry.fingerprint) return { ok: false, reason: "bad_certificate" };
      return { ok: true, identity: identityOf(entry) };
    }
    if (!password || !entry.password) return { ok: false, reason: entry.fingerprint ? "bad_certificate" : "no_credentials" };
    if (!(await this.#passwordMatches(entry, password))) return { ok: false, reason: "bad_password" };
    return { ok: true, identity: identityOf(entry) };
  }

  async #passwordMatches(entry: RegistryEntry, password: Buffer): Promise<boolean> {
    const stored = entry.password as string;
    const digest = createHash("sha256").update(this.#cacheKey).update(entry.id).update("\0").update(password).digest();
    const cached = this.#verified.get(entry.id);
    if (cached && cached.hash === stored && timingSafeEqual(cached.digest, digest)) return true;
    const ok = await verifyPassword(password.toString("utf8"), stored);
    if (ok) this.#verified.set(entry.id, { hash: stored, digest });
    return ok;
  }

  #bucket(): TokenBucket {
    return new TokenBucket(this.#config.limits.ratePerSec, this.#config.limits.burst, this.#now());
  }

  #limited(identity: Identity): boolean {
    return identity.type === "device" || this.#config.limits.limitTrusted;
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, cb: (error?: Error | null) => void): void {
    if (!client) return cb(null); // an obsolete will with no client: aedes' own housekeeping
    const state = this.#clients.get(client);
    const identity = state?.identity ?? (this.#registry ? undefined : ({ type: "anonymous" } as const));
    if (!identity) return cb(this.#deny(client, "publish", packet.topic, "not_allowed"));
    const decision = this.#policy.canPublish(identity, packet.topic);
    if (!decision.ok) return cb(this.#deny(client, "publish", packet.topic, decision.reason));
    // a retained command would be replayed by the broker to the device at every reconnect
    if (decision.topic.type === "command" && packet.retain && identity.type !== "anonymous") {
      if (identity.type === "account") this.#audit?.append({ ts: this.#now(), who: identity.id, role: identity.role, clientId: client.id, address: addressOf(client.conn) ?? "unknown", topic: packet.topic, action: "command", outcome: "refused", reason: "retained_command" });
      return cb(this.#deny(client, "publish", packet.topic, "retained_command"));
    }
    if (identity.type === "account" && identity.role === "staff") {
      const refused = this.#staffAction(client, identity, packet, decision.topic);
      if (refused) return cb(refused);
    }
    this.#throttle(client, state, cb);
  }

  /** Rate and in-flight limits: a publish past the bucket waits for its token; too far behind, the client goes. */
  #throttle(client: Client, state: ClientState | undefined, cb: (error?: Error | null) => void): void {
    const bucket = state?.bucket;
    if (!state || !bucket) return cb(null);
    const limits = this.#config.limits;
    if (state.pending >= limits.maxInflight) return cb(this.#limit(client, "inflight"));
    const wait = bucket.take(this.#now(), limits.maxThrottleMs);
    if (wait < 0) return cb(this.#limit(client, "rate"));
    if (wait === 0) return cb(null);
    this.#metrics.throttled("rate");
    state.pending++;
    setTimeout(() => {
      state.pending--;
      cb(client.closed ? new Refusal("client closed while throttled") : null);
    }, wait).unref();
  }

  #limit(client: Client, reason: "rate" | "inflight"): Refusal {
    this.#guarded.add(client.conn);
    this.#metrics.disconnected(reason);
    this.#log.warn({ clientId: client.id, address: addressOf(client.conn), limit: reason }, "mqtt client over its limit: disconnected");
    return new Refusal(`over the ${reason} limit`);
  }

  /**
   * A staff account's command or alert. Commands must carry a fresh envelope; the envelope is
   * consumed here (stripped from the payload the gateway's handler sees), `by` becomes the
   * authenticated account, and every attempt is audited.
   */
  #staffAction(client: Client, identity: Extract<Identity, { type: "account" }>, packet: PublishPacket, topic: TopicClass): Refusal | undefined {
    const base = { ts: this.#now(), who: identity.id, role: identity.role, clientId: client.id, address: addressOf(client.conn) ?? "unknown", topic: packet.topic };
    if (topic.type !== "command" || !this.#config.commands.requireEnvelope) {
      this.#audit?.append({ ...base, action: topic.type === "command" ? "command" : topic.type, outcome: "accepted" });
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(packet.payload).toString("utf8"));
    } catch {
      json = undefined;
    }
    const result = this.verifier.verify(json);
    if (!result.ok) {
      this.#audit?.append({ ...base, action: "command", outcome: "refused", reason: result.reason, detail: result.detail });
      return this.#deny(client, "publish", packet.topic, result.reason);
    }
    const command = result.command;
    if (typeof command.responseTopic === "string" && !this.#policy.replyTopicAllowed(identity, command.responseTopic, topic)) {
      this.#audit?.append({ ...base, action: "command", nonce: result.nonce, expiresAt: result.expiresAt, outcome: "refused", reason: "bad_response_topic" });
      return this.#deny(client, "publish", packet.topic, "bad_response_topic");
    }
    if ("by" in command) {
      const claimed = typeof command.by === "string" ? command.by.trim().slice(0, 100) : "";
      command.by = claimed === "" || claimed === identity.id ? identity.id : `${identity.id} (for ${claimed})`;
    }
    packet.payload = Buffer.from(JSON.stringify(command));
    this.#audit?.append({ ...base, action: "command", nonce: result.nonce, expiresAt: result.expiresAt, outcome: "accepted" });
    this.#metrics.commandAccepted();
    return undefined;
  }

  #authorizeSubscribe(client: Client, sub: Subscription, cb: (error: Error | null, subscription?: Subscription | null) => void): void {
    const identity = this.#clients.get(client)?.identity ?? (this.#registry ? undefined : ({ type: "anonymous" } as const));
    const decision = identity ? this.#policy.canSubscribe(identity, sub.topic) : ({ ok: false, reason: "not_allowed" } as const);
    if (decision.ok) return cb(null, sub);
    this.#metrics.authzDenied(decision.reason, "subscribe");
    this.#log.warn({ clientId: client.id, address: addressOf(client.conn), filter: sub.topic, reason: decision.reason }, "mqtt subscription refused");
    cb(null, null); // SUBACK 0x80 for this filter; the connection stays
  }

  #deny(client: Client, action: "publish", topic: string, reason: string): Refusal {
    this.#guarded.add(client.conn);
    this.#metrics.authzDenied(reason, action);
    this.#log.warn({ clientId: client.id, address: addressOf(client.conn), topic, reason }, "mqtt publish refused: disconnecting");
    return new Refusal(`not authorised: ${reason}`);
  }
}

/** A well-formed hash of nothing anyone knows: unknown ids cost as much as known ones. */
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

function identityOf(entry: RegistryEntry): Identity {
  return entry.type === "device" ? { type: "device", id: entry.id, kind: entry.kind, site: entry.site } : { type: "account", id: entry.id, role: entry.role, site: entry.site };
}

function addressOf(conn: unknown): string | undefined {
  return (conn as Partial<Socket> | undefined)?.remoteAddress;
}

function peerFingerprint(conn: unknown): string | undefined {
  const tls = conn as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== "function") return undefined;
  const cert = tls.getPeerCertificate();
  return cert && cert.raw ? certificateFingerprint(cert.raw) : undefined;
}
