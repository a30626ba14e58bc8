import type { Consumer, InboundMessage } from "./link.ts";

/** Matches a topic against an MQTT filter with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  return levelsMatch(filter.split("/"), topic.split("/"));
}

/** The same, on levels split already: a consumer's filter is split once, not per message. */
function levelsMatch(f: readonly string[], t: readonly string[]): boolean {
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * The consumers of a link, and what a message's acknowledgement waits for. With `awaitFirst`, a
 * message that arrives before any consumer is registered waits for the first one instead of being
 * acknowledged unread: a persistent session delivers its backlog as soon as the gateway connects.
 */
export class Consumers {
  readonly #entries = new Set<{ levels: readonly string[]; consumer: Consumer }>();
  #first: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(awaitFirst: boolean) {
    if (awaitFirst) this.#first = new Promise<void>((resolve) => (this.#release = resolve));
  }

  add(filter: string, consumer: Consumer): () => void {
    const entry = { levels: filter.split("/"), consumer };
    this.#entries.add(entry);
    this.#release?.();
    this.#release = undefined;
    this.#first = undefined;
    return () => this.#entries.delete(entry);
  }

  /**
   * Hands the message to its consumer; resolves when it may be acknowledged. Undefined when no
   * consumer takes it and none is awaited (acknowledge at once, as any subscription).
   */
  deliver(message: InboundMessage): Promise<void> | undefined {
    const first = this.#first;
    if (first) return first.then(() => this.deliver(message));
    const levels = message.topic.split("/");
    for (const e of this.#entries) {
      if (!levelsMatch(e.levels, levels)) continue;
      try {
        return e.consumer(message) ?? undefined;
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return undefined;
  }
}
