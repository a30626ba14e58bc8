import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/** Append-only JSON lines (who, when, what, result): the lift guard's staff commands, charger commands. */
export class AuditLog {
  #queue: Promise<void> = Promise.resolve();
  #ready: Promise<void> | null = null;

  constructor(readonly file: string) {}

  append(entry: object): Promise<void> {
    this.#ready ??= mkdir(dirname(this.file), { recursive: true }).then(() => {});
    const line = `${JSON.stringify(entry)}\n`;
    // serialised, so lines never interleave; one failed line does not fail the ones after it
    const written = this.#queue.then(() => this.#ready).then(() => appendFile(this.file, line, { flag: "a", mode: 0o640 }));
    this.#queue = written.catch(() => {});
    return written;
  }

  /** Resolves once every line appended so far is written (stop, tests). */
  async flushed(): Promise<void> {
    await this.#queue;
  }
}
