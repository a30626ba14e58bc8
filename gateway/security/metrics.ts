import { Counter, Gauge, Registry } from "prom-client";

export type AuthFailure = "anonymous" | "unknown_client" | "bad_password" | "bad_certificate" | "no_credentials" | "client_id_mismatch" | "other_site" | "disabled";
export type LimitHit = "packet_size" | "malformed_header" | "rate" | "inflight" | "max_connections";

/** The broker's security counters, on the gateway's Prometheus registry; totals kept for tests and health. */
export class SecurityMetrics {
  readonly totals = { authSlowed: 0, authFailures: 0, authzDenied: 0, throttled: 0, disconnected: 0, refused: 0, protocolErrors: 0, commandsAccepted: 0 };
  readonly authFailuresByReason = new Map<string, number>();
  readonly deniedByReason = new Map<string, number>();
  readonly limitsByReason = new Map<string, number>();

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
    this.totals.authFailures++;
    this.authFailuresByReason.set(reason, (this.authFailuresByReason.get(reason) ?? 0) + 1);
    this.#authFailures.inc({ reason });
  }

  authSlowed(): void {
    this.totals.authSlowed++;
    this.#authSlowed.inc();
  }

  authzDenied(reason: string, action: "publish" | "subscribe"): void {
    this.totals.authzDenied++;
    this.deniedByReason.set(reason, (this.deniedByReason.get(reason) ?? 0) + 1);
    this.#authzDenied.inc({ reason, action });
  }

  throttled(limit: LimitHit): void {
    this.totals.throttled++;
    this.#throttled.inc({ limit });
  }

  disconnected(reason: LimitHit): void {
    this.totals.disconnected++;
    this.limitsByReason.set(reason, (this.limitsByReason.get(reason) ?? 0) + 1);
    this.#disconnected.inc({ reason });
  }

  refused(reason: LimitHit): void {
    this.totals.refused++;
    this.limitsByReason.set(reason, (this.limitsByReason.get(reason) ?? 0) + 1);
    this.#refused.inc({ reason });
  }

  protocolError(): void {
    this.totals.protocolErrors++;
    this.#protocolErrors.inc();
  }

  commandAccepted(): void {
    this.totals.commandsAccepted++;
    this.#commands.inc();
  }

  connections(n: number): void {
    this.#connections.set(n);
  }
}
