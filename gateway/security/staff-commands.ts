import type { Client, PublishPacket } from "aedes";
import type { CommandGate } from "../commands/gate.ts";
import type { AuditLog } from "./audit.ts";
import type { SecurityMetrics } from "./metrics.ts";
import type { Identity, TopicClass } from "./policy.ts";
import { addressOf, type Refusal, type Refusals } from "./refusals.ts";

export interface StaffCommandsOptions {
  gate: CommandGate;
  refusals: Refusals;
  metrics: SecurityMetrics;
  audit?: AuditLog | undefined;
  now: () => number;
}

/**
 * A staff account's publish, a command or an alert, on the embedded broker: commands go through
 * the command gate, which rewrites the payload the gateway's handler sees; every attempt is audited,
 * so the audit names who authenticated, not whom the payload claims.
 */
export class StaffCommands {
  constructor(private readonly options: StaffCommandsOptions) {}

  /** The refusal that disconnects the client, or undefined (the packet's payload may have been rewritten). */
  check(client: Client, identity: Extract<Identity, { type: "account" }>, packet: PublishPacket, topic: TopicClass): Refusal | undefined {
    const { gate, audit, refusals, metrics } = this.options;
    const base = { ts: this.options.now(), who: identity.id, role: identity.role, clientId: client.id, address: addressOf(client.conn) ?? "unknown", topic: packet.topic };
    if (topic.type !== "command") {
      audit?.append({ ...base, action: topic.type, outcome: "accepted" });
      return undefined;
    }
    const admission = gate.admitStaff(identity, topic, packet.payload);
    if (!admission.ok) {
      audit?.append({ ...base, action: "command", ...admission.envelope, outcome: "refused", reason: admission.reason, ...(admission.detail === undefined ? {} : { detail: admission.detail }) });
      return refusals.publishDenied(client, packet.topic, admission.reason);
    }
    packet.payload = admission.payload;
    audit?.append({ ...base, action: "command", ...admission.envelope, outcome: "accepted" });
    if (admission.envelope) metrics.commandAccepted();
    return undefined;
  }
}
