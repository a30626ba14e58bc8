import type { Severity } from "./config.ts";
import type { Alert, AlertEventKind, AlertState, AlertType, Place } from "./types.ts";

export type Lang = "zh" | "en";

/** Names staff read, in the console and in group-robot messages. Chinese first: the guard room reads Chinese. */
export const typeNames: Record<AlertType, Record<Lang, string>> = {
  throw: { zh: "高空抛物", en: "Object thrown from height" },
  charger_over_temp: { zh: "充电桩过温", en: "Charger over-temperature" },
  charger_over_current: { zh: "充电桩过流", en: "Charger over-current" },
  charger_over_power: { zh: "充电桩过载", en: "Charger over-power" },
  charger_smoke: { zh: "充电桩烟雾", en: "Smoke at charger" },
  charger_relay_welded: { zh: "充电桩继电器粘连", en: "Charger relay welded" },
  charger_offline: { zh: "充电桩离线", en: "Charger offline" },
  lift_hold: { zh: "电动车进电梯（阻梯中）", en: "E-bike in lift (holding)" },
  lift_hold_timeout: { zh: "阻梯超时", en: "Lift hold timed out" },
  lift_fault: { zh: "阻梯系统故障", en: "Lift guard fault" },
  device_silent: { zh: "设备失联", en: "Device silent" },
};

export const severityNames: Record<Severity, Record<Lang, string>> = {
  info: { zh: "提示", en: "Info" },
  warning: { zh: "警告", en: "Warning" },
  critical: { zh: "严重", en: "Critical" },
};

export const stateNames: Record<AlertState, Record<Lang, string>> = {
  open: { zh: "待处理", en: "Open" },
  acknowledged: { zh: "已确认", en: "Acknowledged" },
  resolved: { zh: "已解决", en: "Resolved" },
};

export const eventNames: Record<AlertEventKind, Record<Lang, string>> = {
  opened: { zh: "新告警", en: "New alert" },
  repeated: { zh: "重复告警", en: "Repeated" },
  escalated: { zh: "超时未确认，升级通知", en: "Escalated: not acknowledged in time" },
  acknowledged: { zh: "已确认", en: "Acknowledged" },
  resolved: { zh: "已解决", en: "Resolved" },
  evidence: { zh: "证据已保存", en: "Evidence kept" },
};

/** "12号楼 14层 · throw-cam-01" / "Building 12, floor 14 · throw-cam-01" */
export function placeText(place: Place, lang: Lang): string {
  const parts: string[] = [];
  if (place.building !== undefined) parts.push(lang === "zh" ? `${place.building}号楼` : `Building ${place.building}`);
  if (place.floor !== undefined) parts.push(lang === "zh" ? `${place.floor}层` : `floor ${place.floor}`);
  if (place.port !== undefined) parts.push(lang === "zh" ? `${place.port}号口` : `port ${place.port}`);
  const where = parts.join(lang === "zh" ? " " : ", ");
  return where ? `${where} · ${place.device}` : place.device;
}

export function timeText(ts: number, timeZone: string): string {
  return new Date(ts).toLocaleString("sv-SE", { timeZone, hour12: false });
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** The alert's details as a sentence in the reader's language; the rule's own summary when there is nothing better. */
export function summaryText(a: Pick<Alert, "type" | "summary" | "details">, lang: Lang, timeZone: string): string {
  const d = a.details;
  const zh = lang === "zh";
  switch (a.type) {
    case "throw": {
      const conf = num(d.confidence);
      const fall = num(d.fallMs);
      const parts = [
        conf === undefined ? undefined : zh ? `置信度 ${conf}` : `confidence ${conf}`,
        d.floor === null ? (zh ? "楼层无法判断" : "floor unknown") : undefined,
        fall === undefined ? undefined : zh ? `下落约 ${(fall / 1000).toFixed(1)} 秒` : `fell for about ${(fall / 1000).toFixed(1)} s`,
      ].filter((p): p is string => p !== undefined);
      return parts.join(" · ") || a.summary;
    }
    case "lift_hold": {
      const s = num(d.peakScore);
      return s === undefined ? a.summary : zh ? `识别到电动车（置信度 ${s.toFixed(2)}），电梯门保持打开` : `e-bike seen (score ${s.toFixed(2)}), doors held open`;
    }
    case "lift_hold_timeout": {
      const ms = num(d.durationMs);
      return ms === undefined ? a.summary : zh ? `已阻梯 ${Math.round(ms / 1000)} 秒，达到最长阻梯时间已释放，请到现场处理` : `held ${Math.round(ms / 1000)} s, released at the maximum hold time: please go and see`;
    }
    case "device_silent": {
      const at = num(d.lastSeenAt);
      const limit = num(d.silentAfterMs);
      if (at === undefined || limit === undefined) return a.summary;
      return zh ? `最后通信 ${timeText(at, timeZone)}，超过 ${Math.round(limit / 1000)} 秒未上报` : `last heard ${timeText(at, timeZone)}, silent for over ${Math.round(limit / 1000)} s`;
    }
    case "lift_fault":
      return a.summary;
    default: {
      // charger alarms
      const v = num(d.value);
      const t = num(d.threshold);
      if (v === undefined) return a.summary;
      const unit = { charger_over_temp: "°C", charger_over_current: " A", charger_over_power: " W" }[a.type as string] ?? "";
      const what = { charger_over_temp: ["温度", "temperature"], charger_over_current: ["电流", "current"], charger_over_power: ["功率", "power"] }[a.type as string] ?? ["测量值", "value"];
      return zh
        ? `${what[0]} ${v}${unit}${t === undefined ? "" : `（阈值 ${t}${unit}）`}`
        : `${what[1]} ${v}${unit}${t === undefined ? "" : ` (threshold ${t}${unit})`}`;
    }
  }
}
