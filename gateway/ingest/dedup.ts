/**
 * Remembers the last `capacity` keys, oldest forgotten first, to refuse repeated event ids. The
 * gateway's one IngestPipeline holds it for every path in (MQTT, HTTP push, Dahua streams), so an
 * event that arrives by two is one event.
 */
export class RecentKeys {
  readonly #keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True when the key was seen already; otherwise remembers it. */
  seen(key: string): boolean {
    if (this.#keys.has(key)) return true;
    if (this.capacity === 0) return false;
    this.#keys.add(key);
    if (this.#keys.size > this.capacity) {
      const oldest = this.#keys.values().next().value as string;
      this.#keys.delete(oldest);
    }
    return false;
  }

  /** Drops a key, so its next arrival is taken (a message whose durable commit failed is resent by its device). */
  forget(key: string): void {
    this.#keys.delete(key);
  }
}
