import { isSilent, silentLimitOf, type DeviceEvent, type DeviceKind } from "../../devices/types.ts";
import type { RejectReason, Rejection } from "../events.ts";
import { parseDeviceTopic } from "../ingest/topic.ts";
import { foldEvent, passesToday, type LastValues } from "./last-values.ts";

/** `unknown`: listed in the registry (or heard only in rejected messages) and not yet quiet for its kind's limit. */
export type DeviceState = "online" | "offline" | "unknown";

/** A device going online or offline: what its availability topic says. */
export interface StateChange {
  kind: string;
  id: string;
  state: "online" | "offline";
}

export interface RejectRecord {
  at: number;
  reason: RejectReason;
  detail: string;
}

/** A registry entry as the roster needs it. */
export interface ListedDevice {
  kind: string;
  id: string;
  disabled: boolean;
}

interface Entry {
  kind: DeviceKind;
  id: string;
  listed: boolean;
  disabled: boolean;
  /** when the roster began to expect it: the gateway's start, or when it was listed, heard or rejected first; quiet counts from here at the earliest */
  expectedSince: number;
  lastSeenAt?: number;
  state: DeviceState;
  values: LastValues;
  rejects: RejectRecord[];
}

export interface DeviceView {
  kind: string;
  id: string;
  state: DeviceState;
  listed: boolean;
  disabled: boolean;
  lastSeenAt: number | null;
  silentAfterMs: number;
  building: string | null;
  values: LastValues;
  rejects: { total: number; byReason: Partial<Record<RejectReason, number>>; latest: RejectRecord[] };
}

const HOUR = 3_600_000;
/** per device: enough to show what is wrong, bounded against a device that sends nothing but garbage */
const MAX_REJECTS = 200;
/** devices known only from rejected messages, bounded: a broker without a registry lets anyone make up ids */
const MAX_UNLISTED_UNHEARD = 1_000;

/**
 * Every device the gateway has heard from or the registry lists, with its state by the device_silent
 * rule (silentLimitOf / isSilent), its last values and its rejects of the last hour. Pure: the
 * clock comes in as arguments, and state changes go out as return values, for the availability
 * topics.
 */
export class DeviceRoster {
  readonly #kinds: ReadonlyMap<string, DeviceKind>;
  readonly #devices = new Map<string, Entry>();

  constructor(
    private readonly site: string,
    kinds: readonly DeviceKind[],
    private readonly overrides: Readonly<Record<string, number>>,
    private readonly timeZone: string,
    private readonly startedAt: number,
  ) {
    this.#kinds = new Map(kinds.map((k) => [k.kind, k]));
  }

  /** An accepted message: the device is heard (by the gateway's clock, as the silence alert counts it). */
  heard(ev: DeviceEvent): StateChange | undefined {
    if (ev.site !== this.site) return undefined;
    const entry = this.#entry(ev.kind, ev.deviceId, ev.receivedAt);
    if (!entry) return undefined;
    entry.lastSeenAt = ev.receivedAt;
    foldEvent(entry.values, ev, this.timeZone);
    if (entry.state === "online") return undefined;
    entry.state = "online";
    return { kind: ev.kind, id: ev.deviceId, state: "online" };
  }

  /** A refused message, kept against its device (when its topic names one of a known kind) for an hour. */
  rejected(r: Rejection): void {
    const t = parseDeviceTopic(r.topic);
    if (!t || t.site !== this.site) return;
    const key = `${t.kind}/${t.deviceId}`;
    if (!this.#devices.has(key) && this.#unheardUnlisted() >= MAX_UNLISTED_UNHEARD) return;
    const entry = this.#entry(t.kind, t.deviceId, r.receivedAt);
    if (!entry) return;
    entry.rejects.push({ at: r.receivedAt, reason: r.reason, detail: r.detail });
    if (entry.rejects.length > MAX_REJECTS) entry.rejects.shift();
  }

  /**
   * A device heard before a restart (seen-store.ts): its last-seen time is shown, and it is
   * expected from the start, so the gateway's own downtime does not make a live device flap offline.
   */
  restore(kind: string, id: string, lastSeenAt: number): void {
    const entry = this.#entry(kind, id, this.startedAt);
    if (entry && entry.lastSeenAt === undefined) entry.lastSeenAt = lastSeenAt;
  }

  /** Every heard device's last-seen time, for the seen store. */
  lastSeen(): Array<{ kind: string; id: string; lastSeenAt: number }> {
    return [...this.#devices.values()].flatMap((e) => (e.lastSeenAt === undefined ? [] : [{ kind: e.kind.kind, id: e.id, lastSeenAt: e.lastSeenAt }]));
  }

  /** The registry's devices now: new ones are expected from `now`; one no longer listed stays only if it was heard. */
  list(devices: readonly ListedDevice[], now: number): void {
    const listed = new Set<string>();
    for (const d of devices) {
      const entry = this.#entry(d.kind, d.id, now);
      if (!entry) continue;
      entry.listed = true;
      entry.disabled = d.disabled;
      listed.add(`${d.kind}/${d.id}`);
    }
    for (const [key, e] of this.#devices) {
      if (!e.listed || listed.has(key)) continue;
      e.listed = false;
      e.disabled = false;
      if (e.lastSeenAt === undefined && e.rejects.length === 0) this.#devices.delete(key);
    }
  }

  /** Devices that went quiet past their kind's limit since the last check, and rejects past the hour dropped. */
  check(now: number): StateChange[] {
    const out: StateChange[] = [];
    for (const e of this.#devices.values()) {
      while (e.rejects.length > 0 && (e.rejects[0] as RejectRecord).at < now - HOUR) e.rejects.shift();
      if (e.state === "offline") continue;
      if (!isSilent(Math.max(e.lastSeenAt ?? 0, e.expectedSince), now, this.#limit(e.kind))) continue;
      e.state = "offline";
      out.push({ kind: e.kind.kind, id: e.id, state: "offline" });
    }
    return out;
  }

  view(now: number): DeviceView[] {
    return [...this.#devices.values()].map((e) => {
      const recent = e.rejects.filter((r) => r.at >= now - HOUR);
      const byReason: Partial<Record<RejectReason, number>> = {};
      for (const r of recent) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
      // a gate's count of another day is no count of today
      const passes = passesToday(e.values, now, this.timeZone);
      return {
        kind: e.kind.kind,
        id: e.id,
        state: e.state,
        listed: e.listed,
        disabled: e.disabled,
        lastSeenAt: e.lastSeenAt ?? null,
        silentAfterMs: this.#limit(e.kind),
        building: e.values.throw?.building ?? null,
        values: { ...e.values, passes },
        rejects: { total: recent.length, byReason, latest: recent.slice(-5).reverse() },
      };
    });
  }

  #limit(kind: DeviceKind): number {
    return silentLimitOf(kind, this.overrides);
  }

  #entry(kind: string, id: string, since: number): Entry | undefined {
    const key = `${kind}/${id}`;
    const known = this.#devices.get(key);
    if (known) return known;
    const def = this.#kinds.get(kind);
    if (!def) return undefined;
    const entry: Entry = { kind: def, id, listed: false, disabled: false, expectedSince: Math.max(since, this.startedAt), state: "unknown", values: {}, rejects: [] };
    this.#devices.set(key, entry);
    return entry;
  }

  #unheardUnlisted(): number {
    let n = 0;
    for (const e of this.#devices.values()) if (!e.listed && e.lastSeenAt === undefined) n++;
    return n;
  }
}
