import { compactString, FifoMemory } from "../fifo-memory.ts";

/**
 * Remembers the last `capacity` keys, oldest forgotten first, to refuse repeated event ids. The
 * gateway's one IngestPipeline holds it for every path in (MQTT, HTTP push, Dahua streams), so an
 * event that arrives by two is one event.
 */
export class RecentKeys {
  readonly #keys: FifoMemory<string, true>;

  constructor(capacity: number) {
    this.#keys = new FifoMemory(capacity);
  }

  /** True when the key was seen already; otherwise remembers it. */
  seen(key: string): boolean {
    return this.#keys.claim(compactString(key), true) !== undefined;
  }

  /** Drops a key, so its next arrival is taken (a message whose durable commit failed is resent by its device). */
  forget(key: string): void {
    this.#keys.delete(key);
  }
}
