import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { DeviceRegistry } from "../security/registry.ts";
import type { ListedDevice } from "./roster.ts";

/**
 * The registry's devices of this site, read again whenever devices.yaml changes (`linli devices
 * add` while the gateway runs). A file that does not read keeps the last good list: a registry
 * half-written by hand must not empty the devices page.
 */
export class RegistryDevices {
  #mtimeMs = -1;
  #devices: ListedDevice[] = [];

  constructor(
    private readonly path: string | undefined,
    private readonly site: string,
    private readonly log: Logger,
  ) {}

  /** The current list, or undefined when it has not changed since the last call. */
  changed(): ListedDevice[] | undefined {
    if (!this.path) return undefined;
    const file = resolve(this.path);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch (err) {
      if (this.#mtimeMs !== -2) this.log.warn({ err, path: file }, "device registry unreadable: the devices page keeps its last list");
      this.#mtimeMs = -2;
      return undefined;
    }
    if (mtimeMs === this.#mtimeMs) return undefined;
    this.#mtimeMs = mtimeMs;
    try {
      this.#devices = DeviceRegistry.load(file)
        .devices.filter((d) => d.site === this.site)
        .map((d) => ({ kind: d.kind, id: d.id, disabled: d.disabled }));
    } catch (err) {
      this.log.warn({ err, path: file }, "device registry invalid: the devices page keeps its last list");
      return undefined;
    }
    return this.#devices;
  }
}
