import { z } from "zod";
import type { AlertsConfig } from "../config.ts";
import { timeText } from "../i18n.ts";
import { defineAlertType, raise, type RuleAction } from "./rule.ts";

const details = z.object({ lastSeenAt: z.number(), silentAfterMs: z.number() });

export function silentKey(kind: string, device: string): string {
  return `device_silent:${kind}:${device}`;
}

/** A device quiet for longer than its kind allows; raised by the silence watcher's clock, not by an event. */
export const deviceSilentAlert = defineAlertType({
  names: { device_silent: { zh: "设备失联", en: "Device silent" } },
  details,
  text: (d, _type, lang, timeZone) =>
    lang === "zh"
      ? `最后通信 ${timeText(d.lastSeenAt, timeZone)}，超过 ${Math.round(d.silentAfterMs / 1000)} 秒未上报`
      : `last heard ${timeText(d.lastSeenAt, timeZone)}, silent for over ${Math.round(d.silentAfterMs / 1000)} s`,
});

export function silentAlert(device: { site: string; kind: string; device: string; at: number }, limitMs: number, now: number, cfg: AlertsConfig): RuleAction {
  return raise({
    type: "device_silent",
    dedupKey: silentKey(device.kind, device.device),
    severity: cfg.severity.deviceSilent,
    place: { site: device.site, kind: device.kind, device: device.device },
    summary: `nothing for ${Math.round((now - device.at) / 1000)} s (expected within ${Math.round(limitMs / 1000)} s)`,
    details: { lastSeenAt: device.at, silentAfterMs: limitMs } satisfies z.infer<typeof details>,
    evidence: [],
    ts: now,
  });
}
