import type { Client, PublishPacket, Subscription } from "aedes";
import type { Logger } from "pino";
import type { AuditLog } from "./audit.ts";
import type { SecurityMetrics } from "./metrics.ts";
import type { Identity, TopicClass, TopicPolicy } from "./policy.ts";
import { addressOf, type Refusal, type Refusals } from "./refusals.ts";

export interface AuthorisationOptions {
  policy: TopicPolicy;
  refusals: Refusals;
  metrics: SecurityMetrics;
  log: Logger;
  audit?: AuditLog | undefined;
  now: () => number;
}

/** What a logged-in client may publish and subscribe to: the TopicPolicy's decisions, enforced and counted. */
export class Authorisation {
  constructor(private readonly options: AuthorisationOptions) {}

  /** The topic a publish goes to, or the refusal that disconnects its client. `identity` undefined: never logged in. */
  publish(client: Client, identity: Identity | undefined, packet: PublishPacket): { ok: true; identity: Identity; topic: TopicClass } | { ok: false; refusal: Refusal } {
    const { policy, refusals } = this.options;
    if (!identity) return { ok: false, refusal: refusals.publishDenied(client, packet.topic, "not_allowed") };
    const decision = policy.canPublish(identity, packet.topic);
    if (!decision.ok) return { ok: false, refusal: refusals.publishDenied(client, packet.topic, decision.reason) };
    // a retained command would be replayed by the broker to the device at every reconnect
    if (decision.topic.type === "command" && packet.retain && identity.type !== "anonymous") {
      if (identity.type === "account") {
        this.options.audit?.append({ ts: this.options.now(), who: identity.id, role: identity.role, clientId: client.id, address: addressOf(client.conn) ?? "unknown", topic: packet.topic, action: "command", outcome: "refused", reason: "retained_command" });
      }
      return { ok: false, refusal: refusals.publishDenied(client, packet.topic, "retained_command") };
    }
    return { ok: true, identity, topic: decision.topic };
  }

  /** aedes' authorizeSubscribe hook, once the identity is known: a refused filter gets SUBACK 0x80, the connection stays. */
  subscribe(client: Client, identity: Identity | undefined, sub: Subscription, cb: (error: Error | null, subscription?: Subscription | null) => void): void {
    const decision = identity ? this.options.policy.canSubscribe(identity, sub.topic) : ({ ok: false, reason: "not_allowed" } as const);
    if (decision.ok) return cb(null, sub);
    this.options.metrics.authzDenied(decision.reason, "subscribe");
    this.options.log.warn({ clientId: client.id, address: addressOf(client.conn), filter: sub.topic, reason: decision.reason }, "mqtt subscription refused");
    cb(null, null);
  }
}
