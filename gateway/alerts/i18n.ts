import type { Lang, Texts } from "../i18n.ts";
import type { Severity } from "./config.ts";
import type { AlertEventKind, AlertState, Place } from "./types.ts";

/** Names staff read, in the console and in group-robot messages (each alert type names itself in rules/). */
export const severityNames: Record<Severity, Texts> = {
  info: { zh: "提示", en: "Info" },
  warning: { zh: "警告", en: "Warning" },
  critical: { zh: "严重", en: "Critical" },
};

export const stateNames: Record<AlertState, Texts> = {
  open: { zh: "待处理", en: "Open" },
  acknowledged: { zh: "已确认", en: "Acknowledged" },
  resolved: { zh: "已解决", en: "Resolved" },
};

export const eventNames: Record<AlertEventKind, Texts> = {
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
