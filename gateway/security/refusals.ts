import type { Socket } from "node:net";
import type { Aedes, Client } from "aedes";
import type { Logger } from "pino";
import type { LimitHit, SecurityMetrics } from "./metrics.ts";

/** An error this module raised and already counted (so the clientError listener does not count it again). */
export class Refusal extends Error {
  readonly counted = true;
  returnCode?: number;
}

const NETWORK_ERRORS = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

export function addressOf(conn: unknown): string | undefined {
  return (conn as Partial<Socket> | undefined)?.remoteAddress;
}

/**
 * Closing a client for what it did, counted exactly once: here, when it is refused. Aedes then
 * reports errors for the packets such a connection still had queued; those are not counted again,
 * and neither are network errors. What is left of aedes' errors is malformed MQTT.
 */
export class Refusals {
  /** connections closed (and counted) here */
  readonly #closed = new WeakSet<object>();

  constructor(
    private readonly metrics: SecurityMetrics,
    private readonly log: Logger,
  ) {}

  /** Counts aedes' client and connection errors as protocol errors, unless counted already. */
  install(aedes: Aedes): void {
    const onError = (client: Client, err: Error & { code?: string }) => {
      if ((err as Partial<Refusal>).counted || (err.code && NETWORK_ERRORS.has(err.code)) || (client && this.#closed.has(client.conn))) return;
      this.metrics.protocolError();
      this.log.debug({ clientId: client?.id, address: addressOf(client?.conn), err: err.message }, "mqtt client error");
    };
    aedes.on("clientError", onError);
    aedes.on("connectionError", onError);
  }

  /** A publish the policy refuses: the client is disconnected. */
  publishDenied(client: Client, topic: string, reason: string): Refusal {
    this.#closed.add(client.conn);
    this.metrics.authzDenied(reason, "publish");
    this.log.warn({ clientId: client.id, address: addressOf(client.conn), topic, reason }, "mqtt publish refused: disconnecting");
    return new Refusal(`not authorised: ${reason}`);
  }

  /** A client past its rate or in-flight limit: it is disconnected. */
  overLimit(client: Client, reason: Extract<LimitHit, "rate" | "inflight">): Refusal {
    this.#closed.add(client.conn);
    this.metrics.disconnected(reason);
    this.log.warn({ clientId: client.id, address: addressOf(client.conn), limit: reason }, "mqtt client over its limit: disconnected");
    return new Refusal(`over the ${reason} limit`);
  }

  /** A socket the packet guard closed, before aedes could make sense of what it sent. */
  socketClosed(socket: Socket): void {
    this.#closed.add(socket);
  }
}
