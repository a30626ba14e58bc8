import { isSilent, type DeviceEvent } from "../../devices/types.ts";
import type { AlertsConfig } from "./config.ts";
import { silentAlert, silentKey } from "./rules/device-silent.ts";
import type { RuleAction } from "./rules/rule.ts";
import type { AlertStore } from "./store.ts";

interface Seen {
  kind: string;
  device: string;
  site: string;
  at: number;
  silent: boolean;
}

/**
 * The device-silent rule: remembers when each device last sent anything and, on each check, raises
 * an alert for a device quiet for longer than its kind's `silentAfterMs` (or the configured
 * override), and resolves it when the device speaks again. Last-seen times are saved with the
 * alerts, so a device that dies while the gateway restarts is still noticed.
 */
export class SilenceWatcher {
  readonly #seen = new Map<string, Seen>();
  readonly #dirty = new Set<string>();

  constructor(
    private readonly thresholds: ReadonlyMap<string, number>,
    private readonly cfg: AlertsConfig,
    private readonly store: AlertStore,
  ) {
    for (const s of store.lastSeen()) {
      this.#seen.set(`${s.kind}/${s.device}`, { ...s, silent: store.active(silentKey(s.kind, s.device)) !== undefined });
    }
  }

  /** Notes a device's message; returns the action that ends its silence alert, if it had one. */
  seen(ev: DeviceEvent, now: number): RuleAction[] {
    const id = `${ev.kind}/${ev.deviceId}`;
    const prev = this.#seen.get(id);
    this.#seen.set(id, { kind: ev.kind, device: ev.deviceId, site: ev.site, at: now, silent: false });
    this.#dirty.add(id);
    return prev?.silent ? [{ resolve: silentKey(ev.kind, ev.deviceId), note: "device spoke again" }] : [];
  }

  thresholdOf(kind: string): number {
    return this.cfg.rules.silentAfterMs[kind] ?? this.thresholds.get(kind) ?? 0;
  }

  check(now: number): RuleAction[] {
    const out: RuleAction[] = [];
    for (const s of this.#seen.values()) {
      const limit = this.thresholdOf(s.kind);
      if (s.silent || !isSilent(s.at, now, limit)) continue;
      s.silent = true;
      out.push(silentAlert(s, limit, now, this.cfg));
    }
    this.flush();
    return out;
  }

  flush(): void {
    if (this.#dirty.size === 0) return;
    const entries = [...this.#dirty].flatMap((id) => {
      const s = this.#seen.get(id);
      return s ? [s] : [];
    });
    this.#dirty.clear();
    this.store.saveLastSeen(entries);
  }
}
