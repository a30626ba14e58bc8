import type { AuditLog } from "../audit-log.ts";
import type { AlertStore, Mute } from "./store.ts";

export class MuteError extends Error {}

/** Device ids as topics carry them (gateway/ingest/topic.ts). */
const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Per-device mutes (snoozes) with an expiry: a muted device's alerts are raised, stored and shown
 * as always, only not sent to the chat groups. Kept in the alert store, so they hold across a
 * restart; every mute and unmute is a line in the alerts audit log (who, when, until).
 */
export class DeviceMutes {
  /** the running mutes, read on every delivery: the store is asked only when they change */
  #byDevice = new Map<string, Mute>();

  constructor(
    private readonly store: AlertStore,
    private readonly audit: AuditLog,
    private readonly maxMs: number,
  ) {
    this.#reload();
  }

  isMuted(device: string, at: number): boolean {
    const m = this.#byDevice.get(device);
    return m !== undefined && m.until > at;
  }

  list(): Mute[] {
    this.#reload();
    return [...this.#byDevice.values()];
  }

  async mute(device: string, minutes: number, by: string, note: string): Promise<Mute> {
    if (!DEVICE_ID.test(device)) throw new MuteError("device must be a device id");
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes * 60_000 > this.maxMs) throw new MuteError(`minutes must be between 1 and ${Math.floor(this.maxMs / 60_000)}`);
    const at = Date.now();
    const m: Mute = { device, until: at + Math.round(minutes * 60_000), by, at, note: note.slice(0, 500) };
    this.store.saveMute(m);
    this.#reload();
    await this.audit.append({ at, event: "mute", device, until: m.until, by, ...(m.note ? { note: m.note } : {}) });
    return m;
  }

  async unmute(device: string, by: string): Promise<Mute | undefined> {
    const m = this.store.removeMute(device);
    this.#reload();
    if (m) await this.audit.append({ at: Date.now(), event: "unmute", device, until: m.until, by, mutedBy: m.by });
    return m;
  }

  #reload(): void {
    this.#byDevice = new Map(this.store.mutes(Date.now()).map((m) => [m.device, m]));
  }
}
