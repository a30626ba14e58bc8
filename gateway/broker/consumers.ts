import type { Consumer, InboundMessage } from "./link.ts";

/** Matches a topic against an MQTT filter with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
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
  readonly #entries = new Set<{ filter: string; consumer: Consumer }>();
  #first: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(awaitFirst: boolean) {
    if (awaitFirst) this.#first = new Promise<void>((resolve) => (this.#release = resolve));
  }

  add(filter: string, consumer: Consumer): () => void {
    const entry = { filter, consumer };
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
    for (const e of this.#entries) {
      if (!topicMatches(e.filter, message.topic)) continue;
      try {
        return e.consumer(message) ?? undefined;
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return undefined;
  }
}
