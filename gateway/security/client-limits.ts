import type { Socket } from "node:net";
import type { Aedes, Client } from "aedes";
import type { Logger } from "pino";
import type { SecurityConfig } from "./config.ts";
import { PacketSizeGuard, TokenBucket } from "./limits.ts";
import type { SecurityMetrics } from "./metrics.ts";
import type { Identity } from "./policy.ts";
import { addressOf, Refusal, type Refusals } from "./refusals.ts";

type Limits = SecurityConfig["limits"];

/**
 * The socket-level limits, enforced before aedes sees a byte: open connections, and the size every
 * MQTT packet declares in its fixed header.
 */
export class SocketLimits {
  readonly #sockets = new Set<Socket>();

  constructor(
    private readonly limits: Limits,
    private readonly refusals: Refusals,
    private readonly metrics: SecurityMetrics,
    private readonly log: Logger,
  ) {}

  get connections(): number {
    return this.#sockets.size;
  }

  /** The connection listener for the TCP and TLS servers: socket-level limits, then aedes. */
  connectionHandler(aedes: Aedes): (socket: Socket) => void {
    const { maxConnections, maxPacketBytes } = this.limits;
    return (socket) => {
      socket.on("error", () => {}); // aedes reports errors of sockets it took; this covers the ones refused here
      if (this.#sockets.size >= maxConnections) {
        this.metrics.refused("max_connections");
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      this.metrics.connections(this.#sockets.size);
      socket.once("close", () => {
        this.#sockets.delete(socket);
        this.metrics.connections(this.#sockets.size);
      });
      aedes.handle(socket);
      // After aedes attached its 'readable' listener, a 'data' listener sees each chunk as aedes reads
      // it (Node emits 'data' from read() in paused mode), before the parser could grow a buffer.
      const guard = new PacketSizeGuard(maxPacketBytes);
      const onData = (chunk: Buffer) => {
        const verdict = guard.feed(chunk);
        if (verdict.ok) return;
        socket.off("data", onData);
        this.refusals.socketClosed(socket);
        if (verdict.reason === "packet_size") this.metrics.disconnected("packet_size");
        else this.metrics.disconnected("malformed_header");
        this.log.warn({ address: addressOf(socket), ...(verdict.reason === "packet_size" ? { declared: verdict.declared, max: maxPacketBytes } : {}) }, `mqtt connection closed: ${verdict.reason}`);
        socket.destroy();
      };
      socket.on("data", onData);
    };
  }

  /** Destroys every open socket (shutdown). */
  closeAll(): void {
    for (const s of this.#sockets) s.destroy();
  }
}

/**
 * Rate and in-flight limits per client: a publish past the client's token bucket waits for its
 * token; a client too far behind, or with too many publishes waiting, is disconnected. Devices are
 * always limited; gateway and staff accounts and anonymous loopback clients only with limitTrusted.
 */
export class PublishThrottle {
  readonly #clients = new WeakMap<Client, { bucket: TokenBucket; pending: number }>();

  constructor(
    private readonly limits: Limits,
    private readonly refusals: Refusals,
    private readonly metrics: SecurityMetrics,
    private readonly now: () => number,
  ) {}

  /** Calls `cb` once the client may publish (at once, or after its wait), or with the refusal that closes it. */
  admit(client: Client, identity: Identity, cb: (error?: Error | null) => void): void {
    const state = this.#state(client, identity);
    if (!state) return cb(null);
    const limits = this.limits;
    if (state.pending >= limits.maxInflight) return cb(this.refusals.overLimit(client, "inflight"));
    const wait = state.bucket.take(this.now(), limits.maxThrottleMs);
    if (wait < 0) return cb(this.refusals.overLimit(client, "rate"));
    if (wait === 0) return cb(null);
    this.metrics.throttled("rate");
    state.pending++;
    setTimeout(() => {
      state.pending--;
      cb(client.closed ? new Refusal("client closed while throttled") : null);
    }, wait).unref();
  }

  #state(client: Client, identity: Identity): { bucket: TokenBucket; pending: number } | undefined {
    if (identity.type !== "device" && !this.limits.limitTrusted) return undefined;
    let state = this.#clients.get(client);
    if (!state) {
      // a full bucket, as it would be had it been made at login
      state = { bucket: new TokenBucket(this.limits.ratePerSec, this.limits.burst, this.now()), pending: 0 };
      this.#clients.set(client, state);
    }
    return state;
  }
}
