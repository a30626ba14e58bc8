import { Counter, Gauge, Registry } from "prom-client";

export type AuthFailure = "anonymous" | "unknown_client" | "bad_password" | "bad_certificate" | "no_credentials" | "client_id_mismatch" | "other_site" | "disabled";
export type LimitHit = "packet_size" | "malformed_header" | "rate" | "inflight" | "max_connections";

/** The broker's security counters, on the gateway's Prometheus registry: read them there. */
export class SecurityMetrics {
  readonly #authFailures: Counter<"reason">;
  readonly #authzDenied: Counter<"reason" | "action">;
  readonly #authSlowed: Counter;
  readonly #throttled: Counter<"limit">;
  readonly #disconnected: Counter<"reason">;
  readonly #refused: Counter<"reason">;
  readonly #protocolErrors: Counter;
  readonly #commands: Counter;
  readonly #connections: Gauge;

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    this.#authFailures = new Counter({ name: "linli_auth_failures_total", help: "MQTT logins refused", labelNames: ["reason"], registers });
    this.#authSlowed = new Counter({ name: "linli_auth_slowed_total", help: "MQTT logins delayed because their address failed before", registers });
    this.#authzDenied = new Counter({ name: "linli_authz_denied_total", help: "MQTT publishes and subscriptions refused by policy", labelNames: ["reason", "action"], registers });
    this.#throttled = new Counter({ name: "linli_client_throttled_total", help: "Publishes delayed by a client's rate limit", labelNames: ["limit"], registers });
    this.#disconnected = new Counter({ name: "linli_client_disconnected_total", help: "Clients disconnected for passing a limit", labelNames: ["reason"], registers });
    this.#refused = new Counter({ name: "linli_connections_refused_total", help: "Connections closed before CONNECT (limits)", labelNames: ["reason"], registers });
    this.#protocolErrors = new Counter({ name: "linli_mqtt_protocol_errors_total", help: "Connections closed for malformed MQTT", registers });
    this.#commands = new Counter({ name: "linli_commands_accepted_total", help: "Staff commands that passed the envelope check", registers });
    this.#connections = new Gauge({ name: "linli_broker_connections", help: "Open sockets on the embedded broker", registers });
  }

  authFailure(reason: AuthFailure): void {
    this.#authFailures.inc({ reason });
  }

  authSlowed(): void {
    this.#authSlowed.inc();
  }

  authzDenied(reason: string, action: "publish" | "subscribe"): void {
    this.#authzDenied.inc({ reason, action });
  }

  throttled(limit: LimitHit): void {
    this.#throttled.inc({ limit });
  }

  disconnected(reason: LimitHit): void {
    this.#disconnected.inc({ reason });
  }

  refused(reason: LimitHit): void {
    this.#refused.inc({ reason });
  }

  protocolError(): void {
    this.#protocolErrors.inc();
  }

  commandAccepted(): void {
    this.#commands.inc();
  }

  connections(n: number): void {
    this.#connections.set(n);
  }
}
