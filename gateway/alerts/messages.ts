import type { ChatMessage } from "../channels/types.ts";
import type { AlertsConfig } from "./config.ts";
import type { Lang } from "../i18n.ts";
import { eventNames, placeText, severityNames, stateNames, timeText } from "./i18n.ts";
import { typeNames } from "./rules/index.ts";
import { summaryText } from "./text.ts";
import type { AlertChange } from "./types.ts";

const WECOM_COLOUR = { critical: "warning", warning: "warning", info: "info" } as const;

/** The lines every markdown message carries, in the console's language. */
function lines(change: AlertChange, cfg: AlertsConfig, lang: Lang): { title: string; body: string[] } {
  const a = change.alert;
  const zh = lang === "zh";
  const title = `【${severityNames[a.severity][lang]}】${typeNames[a.type][lang]}`;
  const body = [
    `${zh ? "事件" : "Event"}: ${eventNames[change.event][lang]}`,
    `${zh ? "地点" : "Place"}: ${placeText(a.place, lang)}`,
    `${zh ? "时间" : "Time"}: ${timeText(a.createdAt, cfg.timeZone)}${a.count > 1 ? ` (${zh ? "最近" : "latest"} ${timeText(a.lastAt, cfg.timeZone)})` : ""}`,
    `${zh ? "次数" : "Count"}: ${a.count}`,
    `${zh ? "状态" : "State"}: ${stateNames[a.state][lang]}`,
    `${zh ? "详情" : "Details"}: ${summaryText(a, lang, cfg.timeZone)}`,
  ];
  if (change.event === "acknowledged") body.push(`${zh ? "确认人" : "By"}: ${a.acknowledgedBy ?? ""}${a.ackNote ? ` (${a.ackNote})` : ""}`);
  if (change.event === "resolved") body.push(`${zh ? "处理人" : "By"}: ${a.resolvedBy ?? ""}${a.resolveNote ? ` (${a.resolveNote})` : ""}`);
  const snap = a.evidence.find((e) => e.role === "snapshot");
  if (snap) body.push(`${zh ? "快照" : "Snapshot"}: sha256:${snap.sha256.slice(0, 16)}…`);
  body.push(`ID: ${a.id}`);
  return { title, body };
}

/** The message for one change, in the console's language; JSON and MQTT channels get the change itself. */
export function alertMessage(change: AlertChange, cfg: AlertsConfig): ChatMessage {
  const lang = cfg.console.language;
  const { title, body } = lines(change, cfg, lang);
  return {
    title,
    lines: body,
    link: cfg.publicUrl ? { text: lang === "zh" ? "打开安防控制台" : "Open the security console", url: cfg.publicUrl } : undefined,
    tone: WECOM_COLOUR[change.alert.severity],
    json: { event: change.event, at: change.at, alert: change.alert },
  };
}

/** Alerts of one type, event and place in a digest: "charger-03" or "Building 12", or several devices. */
interface DigestGroup {
  type: AlertChange["alert"]["type"];
  event: AlertChange["event"];
  devices: string[];
  building?: string | undefined;
  count: number;
}

function digestGroups(changes: readonly AlertChange[]): DigestGroup[] {
  const groups = new Map<string, DigestGroup>();
  for (const c of changes) {
    const a = c.alert;
    const key = `${a.type}|${c.event}|${a.place.building ?? ""}`;
    const g = groups.get(key) ?? { type: a.type, event: c.event, devices: [], building: a.place.building, count: 0 };
    g.count++;
    if (!g.devices.includes(a.place.device)) g.devices.push(a.place.device);
    groups.set(key, g);
  }
  return [...groups.values()].sort((x, y) => y.count - x.count);
}

function groupPlace(g: DigestGroup, lang: Lang): string {
  const where = g.building === undefined ? "" : lang === "zh" ? `${g.building}号楼 ` : `Building ${g.building}, `;
  if (g.devices.length === 1) return `${where}${g.devices[0]}`;
  const shown = g.devices.slice(0, 2).join(lang === "zh" ? "、" : ", ");
  return lang === "zh" ? `${where}${shown} 等 ${g.devices.length} 台设备` : `${where}${shown} and ${g.devices.length - 2} more devices`;
}

/** The digest's lines in both languages, Chinese first: a count for every alert in it. */
function digestLines(changes: readonly AlertChange[]): { title: string; zh: string[]; en: string[] } {
  const span = Math.max(...changes.map((c) => c.at)) - Math.min(...changes.map((c) => c.at));
  const minutes = Math.max(1, Math.ceil(span / 60_000));
  const groups = digestGroups(changes);
  const shown = groups.slice(0, 12);
  const rest = groups.slice(12).reduce((n, g) => n + g.count, 0);
  const zh = shown.map((g) => `${typeNames[g.type].zh}（${eventNames[g.event].zh}）${g.count} 条 · ${groupPlace(g, "zh")}`);
  const en = shown.map((g) => `${g.count} × ${typeNames[g.type].en} (${eventNames[g.event].en}) · ${groupPlace(g, "en")}`);
  if (rest > 0) {
    zh.push(`其他 ${rest} 条`);
    en.push(`${rest} more`);
  }
  return { title: `【告警汇总】${minutes} 分钟内共 ${changes.length} 条 / Digest: ${changes.length} alerts in ${minutes} min`, zh, en };
}

/**
 * One message for a burst of changes a paced channel could not send one by one: how many of each
 * type and where, Chinese first and then English, with the console link. JSON and MQTT channels
 * get every change in it.
 */
export function digestMessage(changes: readonly AlertChange[], cfg: AlertsConfig, now = Date.now()): ChatMessage {
  const { title, zh, en } = digestLines(changes);
  return {
    title,
    lines: [...zh, "", ...en],
    link: cfg.publicUrl ? { text: "打开安防控制台 / Open the security console", url: cfg.publicUrl } : undefined,
    json: { event: "digest", at: now, count: changes.length, changes: changes.map((c) => ({ event: c.event, at: c.at, alert: c.alert })) },
  };
}
