import { guardCommandLift, guardResultTopic, staffReplyPrefix } from "../ingest/topic.ts";
import type { SecurityConfig } from "../security/config.ts";
import { CommandVerifier, type VerifyFailure } from "../security/envelope.ts";
import type { Identity, TopicClass, TopicPolicy } from "../security/policy.ts";

/**
 * The gateway's one check of staff and device commands: envelope (nonce, expiry), sender and reply
 * topic. It owns the one nonce cache, so a command verified on the embedded broker cannot be
 * replayed through any other path. Two doors lead here: the embedded broker's publish hook, which
 * knows the authenticated sender (`admitStaff`), and the gateway's command inbox, which sees what
 * reached the gateway from whichever broker (`check`).
 */

export interface CommandGateOptions {
  /** the site's topic contract: reply topics are judged by it */
  policy: TopicPolicy;
  commands: SecurityConfig["commands"];
  now?: () => number;
}

export interface Envelope {
  nonce: string;
  expiresAt: number;
}

/** What the embedded broker does with a staff account's command: pass it on (rewritten) or refuse it. */
export type StaffAdmission =
  /** `envelope` is absent when envelopes are not required: then nothing was checked or changed */
  | { ok: true; payload: Buffer; envelope?: Envelope }
  | { ok: false; reason: VerifyFailure | "bad_response_topic"; detail?: string; envelope?: Envelope };

/** A command as a feature receives it: checked, without its envelope, or refused with a reason. */
export type CommandVerdict =
  | { ok: true; topic: string; command: Record<string, unknown> }
  | { ok: false; topic: string; reason: CommandRefusal; detail: string; requestId?: string };

export type CommandRefusal = VerifyFailure | "bad_payload" | "bad_response_topic";

type Account = Extract<Identity, { type: "account" }>;

export class CommandGate {
  readonly site: string;
  readonly #policy: TopicPolicy;
  readonly #requireEnvelope: boolean;
  readonly #verifier: CommandVerifier;

  constructor(options: CommandGateOptions) {
    this.site = options.policy.site;
    this.#policy = options.policy;
    this.#requireEnvelope = options.commands.requireEnvelope;
    this.#verifier = new CommandVerifier({ maxTtlMs: options.commands.maxTtlMs, maxEntries: options.commands.replayCacheSize, ...(options.now ? { now: options.now } : {}) });
  }

  /** Nonces remembered now (the replay cache). */
  get nonces(): number {
    return this.#verifier.size;
  }

  /**
   * A staff account's publish on a command topic of the embedded broker. The envelope is consumed
   * (stripped from what the gateway's handler sees) and `by` becomes the authenticated account,
   * so a handler can trust both.
   */
  admitStaff(account: Account, commandTopic: TopicClass, payload: Buffer | string): StaffAdmission {
    const raw = Buffer.from(payload);
    if (!this.#requireEnvelope) return { ok: true, payload: raw };
    const result = this.#verifier.verify(parseJson(raw));
    if (!result.ok) return { ok: false, reason: result.reason, detail: result.detail };
    const envelope = { nonce: result.nonce, expiresAt: result.expiresAt };
    const command = result.command;
    if (typeof command.responseTopic === "string" && !this.#policy.replyTopicAllowed(account, command.responseTopic, commandTopic)) return { ok: false, reason: "bad_response_topic", envelope };
    if ("by" in command) {
      const claimed = typeof command.by === "string" ? command.by.trim().slice(0, 100) : "";
      command.by = claimed === "" || claimed === account.id ? account.id : `${account.id} (for ${claimed})`;
    }
    return { ok: true, payload: Buffer.from(JSON.stringify(command)), envelope };
  }

  /**
   * A command as it reached the gateway. `brokerVerified`: the embedded broker's hook already
   * checked the envelope of every command from a known sender; anyone else's (an external broker's
   * clients, anonymous loopback clients) is checked here, or not at all when envelopes are off.
   */
  check(topic: string, payload: Buffer, options: { brokerVerified: boolean }): CommandVerdict {
    const json = parseJson(payload);
    if (json === undefined) return { ok: false, topic, reason: "bad_payload", detail: "payload must be JSON" };
    const requestId = (json as { requestId?: unknown } | null)?.requestId;
    const refuse = (reason: CommandRefusal, detail: string): CommandVerdict => ({ ok: false, topic, reason, detail, ...(typeof requestId === "string" ? { requestId } : {}) });
    let command: Record<string, unknown>;
    if (!options.brokerVerified && this.#requireEnvelope) {
      // before the shape check, as the external broker's consumer always did: a bare value is a bad envelope
      const verified = this.#verifier.verify(json);
      if (!verified.ok) return refuse(verified.reason, verified.detail);
      command = verified.command;
    } else {
      if (json === null || typeof json !== "object" || Array.isArray(json)) return refuse("bad_payload", "a command must be a JSON object");
      // the broker consumed the envelope; a copy left in the payload means nothing any more
      const { nonce: _nonce, expiresAt: _expiresAt, ...body } = json as Record<string, unknown>;
      command = body;
    }
    if (typeof command.responseTopic === "string" && !this.#replyAllowed(command.responseTopic, topic)) return refuse("bad_response_topic", `answers go to ${this.#replySpaces(topic)}`);
    return { ok: true, topic, command };
  }

  /**
   * Where a sender the gateway cannot name may have answers sent: staff reply space, or the
   * result topic of the lift it commanded. So no command makes the gateway publish on a device's topics.
   */
  #replyAllowed(responseTopic: string, commandTopic: string): boolean {
    const staff = staffReplyPrefix(this.site);
    if (responseTopic.startsWith(staff) && responseTopic.length > staff.length && !/[+#]/.test(responseTopic)) return true;
    const lift = guardCommandLift(this.site, commandTopic);
    return lift !== undefined && responseTopic === guardResultTopic(this.site, lift);
  }

  #replySpaces(commandTopic: string): string {
    const lift = guardCommandLift(this.site, commandTopic);
    const staff = `${staffReplyPrefix(this.site)}<id>/...`;
    return lift === undefined ? staff : `${staff} or ${guardResultTopic(this.site, lift)}`;
  }
}

/** The payload's JSON value; undefined when it is not JSON. */
function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
