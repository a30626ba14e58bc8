import { charger } from "../../devices/charger.ts";
import { throwCamera } from "../../devices/throw.ts";
import { isChannel, type DeviceEvent } from "../../devices/types.ts";
import type { GatewayEvents } from "../events.ts";
import { normaliseSha256 } from "../evidence/store.ts";
import type { AlertsConfig } from "./config.ts";
import type { AlertCandidate, AlertType, EvidenceRef } from "./types.ts";

/** What a rule asks of the engine: open (or count) an alert, or close one whose cause is gone. */
export type RuleAction = { raise: AlertCandidate } | { resolve: string; note: string };

type HoldRecord = GatewayEvents["lift.hold"];
type LiftAlert = GatewayEvents["lift.alert"];

function ref(role: EvidenceRef["role"], sha: string | undefined, url: string | undefined): EvidenceRef[] {
  const sha256 = normaliseSha256(sha);
  if (!sha256) return [];
  return [{ role, sha256, ...(url ? { url } : {}) }];
}

/** Every throw event; charger safety alarms. Other device events raise nothing here. */
export function deviceRules(ev: DeviceEvent, cfg: AlertsConfig): RuleAction[] {
  if (isChannel(ev, throwCamera, "event")) {
    if (!cfg.rules.throw) return [];
    const d = ev.data;
    return [
      {
        raise: {
          type: "throw",
          // the same camera, tower and floor within the window is one incident
          dedupKey: `throw:${ev.deviceId}:${d.building}:${d.floor ?? "?"}`,
          severity: cfg.severity.throw,
          place: { site: ev.site, building: d.building, ...(d.floor === null ? {} : { floor: d.floor }), kind: ev.kind, device: ev.deviceId },
          summary: `confidence ${d.confidence}${d.floor === null ? ", floor unknown" : ""}`,
          details: { eventId: d.eventId, confidence: d.confidence, floor: d.floor, fallMs: d.track.at(-1)?.t ?? null },
          evidence: [...ref("snapshot", d.snapshot, d.snapshotUrl), ...ref("clip", d.clip, d.clipUrl)],
          ts: ev.ts,
        },
      },
    ];
  }
  if (isChannel(ev, charger, "alarm")) {
    const d = ev.data;
    if (!cfg.rules.chargerAlarms.includes(d.type)) return [];
    const value = d.value === undefined ? "" : `${d.value}${d.threshold === undefined ? "" : ` / ${d.threshold}`}`;
    return [
      {
        raise: {
          type: `charger_${d.type}` as AlertType,
          dedupKey: `charger:${ev.deviceId}:${d.port ?? "-"}:${d.type}`,
          severity: cfg.severity.charger,
          place: { site: ev.site, kind: ev.kind, device: ev.deviceId, ...(d.port === undefined ? {} : { port: d.port }) },
          summary: `${d.type}${value ? ` ${value}` : ""}`,
          details: { alarmId: d.alarmId, type: d.type, value: d.value ?? null, threshold: d.threshold ?? null },
          evidence: [],
          ts: ev.ts,
        },
      },
    ];
  }
  return [];
}

/** A lift hold start opens an alert; its end closes it, and a max_hold end opens a timeout alert. */
export function holdRules(h: HoldRecord, cfg: AlertsConfig): RuleAction[] {
  const key = `lift_hold:${h.lift}`;
  const place = { site: h.site, kind: "lift", device: h.lift };
  const evidence: EvidenceRef[] = h.evidence ? [{ role: "frame", sha256: h.evidence.sha256 }] : [];
  if (h.phase === "start") {
    if (!cfg.rules.liftHold) return [];
    return [
      {
        raise: {
          type: "lift_hold",
          dedupKey: key,
          severity: cfg.severity.liftHold,
          place,
          summary: `e-bike, peak score ${h.peakScore.toFixed(2)}`,
          details: { holdId: h.holdId, peakScore: h.peakScore, evidenceFile: h.evidence?.file ?? null },
          evidence,
          ts: h.ts,
        },
      },
    ];
  }
  const out: RuleAction[] = [{ resolve: key, note: `hold ended: ${h.endReason ?? "?"}${h.detail ? ` (${h.detail})` : ""}` }];
  if (h.endReason === "max_hold" && cfg.rules.liftHoldTimeout) {
    out.push({
      raise: {
        type: "lift_hold_timeout",
        dedupKey: `lift_hold_timeout:${h.lift}`,
        severity: cfg.severity.liftHoldTimeout,
        place,
        summary: `held ${Math.round((h.durationMs ?? 0) / 1000)} s, released at the maximum hold time`,
        details: { holdId: h.holdId, durationMs: h.durationMs ?? null, peakScore: h.peakScore, evidenceFile: h.evidence?.file ?? null },
        evidence,
        ts: h.ts,
      },
    });
  }
  return out;
}

/** Faults of the lift guard (frames stopped, inference failed, a hold not written); cleared closes them. */
export function liftAlertRules(a: LiftAlert, cfg: AlertsConfig): RuleAction[] {
  const key = `lift_fault:${a.lift}`;
  if (a.kind === "fault_cleared") return [{ resolve: key, note: a.message }];
  // max_hold comes with the hold's end record (holdRules); staff actions are an audit, not an alert
  if ((a.kind !== "fault" && a.kind !== "hold_write_failed") || !cfg.rules.liftFault) return [];
  return [
    {
      raise: {
        type: "lift_fault",
        dedupKey: key,
        severity: cfg.severity.liftFault,
        place: { site: a.site, kind: "lift", device: a.lift },
        summary: a.message,
        details: { kind: a.kind, ...(a.holdId ? { holdId: a.holdId } : {}) },
        evidence: [],
        ts: a.ts,
      },
    },
  ];
}

export function silentKey(kind: string, device: string): string {
  return `device_silent:${kind}:${device}`;
}
