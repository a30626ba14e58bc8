/**
 * The gateway's chat channels as features see them (core.channels): WeCom and DingTalk group robots,
 * JSON webhooks and MQTT topics, each one paced queue with retry, whoever sends to it. A robot
 * takes 20 messages a minute from all senders together and then blocks them all, so alerts, work
 * order reminders and reports share one budget per robot instead of each spending it alone.
 */

export type ChannelType = "wecom" | "dingtalk" | "json" | "mqtt";

/**
 * One message, rendered by the service for the channel it goes to: WeCom markdown (title in the
 * tone's colour, lines quoted), DingTalk markdown (signed when the channel has a secret), and for
 * JSON webhooks and MQTT topics `json` (or the title, lines and link as they are).
 */
export interface ChatMessage {
  title: string;
  /** one line each; an empty string is a blank line (e.g. between the Chinese and the English) */
  lines: readonly string[];
  /** kept whole when a robot's size limit cuts the lines */
  link?: { text: string; url: string } | undefined;
  /** the colour of a WeCom title; default "warning" */
  tone?: "warning" | "info" | undefined;
  /** what a JSON webhook is posted and an MQTT channel published; default `{ title, lines, link }` */
  json?: unknown;
}

/** What became of one message handed to `send`: sent on its own, counted in a digest, or given up after every retry. */
export type Outcome = "sent" | "digested" | "failed";

/**
 * Lets a message merge with others waiting in the same queue: once a channel has used half its
 * minute's budget, messages of one `key` that waited `digestEveryMs` go as one `merge(items)`.
 * Without a digest a message always goes on its own, when the budget allows.
 */
export interface Digest<T> {
  /** messages of the same key merge (e.g. "alerts", "orders") */
  readonly key: string;
  readonly item: T;
  /** one message standing for every item (called with this digest's item among them) */
  merge(items: readonly T[]): ChatMessage;
}

export interface SendOptions<T = unknown> {
  /** who sends: "alerts", "orders", "reports"; a label on linli_channel_messages_total */
  source: string;
  digest?: Digest<T> | undefined;
  /** told once what became of the message (never throws into the channel) */
  onOutcome?(outcome: Outcome, error?: string): void;
}

/** A channel's counts and state, for the console and /metrics. Counts are of messages handed to `send`. */
export interface ChannelHealth {
  name: string;
  type: ChannelType;
  perMinute: number;
  /** delivered on their own */
  sent: number;
  /** delivered counted in a digest */
  digested: number;
  /** waiting for the channel's budget or the next digest */
  queued: number;
  /** never taken, after every retry */
  failed: number;
  /** the last message failed for good (true until one gets through) */
  failing: boolean;
  lastError?: string;
  lastErrorAt?: number;
  lastSentAt?: number;
}

/** The chat channels, built once by the core from the config (gateway/channels/config.ts says where they are configured). */
export interface Channels {
  /** every name a channel answers to (two config entries for one robot are one channel with two names) */
  names(): string[];
  /** the channel a name stands for (its first name, its type), or undefined when no channel has that name */
  resolve(name: string): { name: string; type: ChannelType } | undefined;
  /**
   * Queues a message; never throws, never blocks. False (logged and counted as `unknown`) when no
   * channel has that name, or the service is stopped.
   */
  send<T>(channel: string, message: ChatMessage, options: SendOptions<T>): boolean;
  health(): ChannelHealth[];
  /** Resolves when every queue is empty and nothing is being sent (tests). */
  idle(): Promise<void>;
}
