import type { MqttLink } from "../broker/link.ts";
import type { CommandGate, CommandVerdict } from "./gate.ts";

export type { CommandVerdict } from "./gate.ts";

/** Commands for a feature, from whichever broker: each one already judged by the command gate. */
export interface CommandInbox {
  /** Subscribes with an MQTT filter; the handler gets a verdict, never the raw payload. Returns the unsubscribe. */
  subscribe(filter: string, handler: (verdict: CommandVerdict) => void | Promise<void>): Promise<() => Promise<void>>;
}

/**
 * `brokerVerified`: the link is the embedded broker, whose publish hook has already put every
 * command of a known sender through the same gate (so its nonce is spent, and must not be asked for again).
 */
export function commandInbox(link: MqttLink, gate: CommandGate, options: { brokerVerified: boolean }): CommandInbox {
  return {
    subscribe: (filter, handler) => link.subscribe(filter, (message) => void handler(gate.check(message.topic, message.payload, options))),
  };
}
