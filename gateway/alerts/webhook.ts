import { createHmac } from "node:crypto";
import type { AlertsConfig, WebhookConfig } from "./config.ts";
import type { Lang } from "../i18n.ts";
import { eventNames, placeText, severityNames, stateNames, timeText } from "./i18n.ts";
import { typeNames } from "./rules/index.ts";
import { summaryText } from "./text.ts";
import type { AlertChange } from "./types.ts";

export interface WebhookRequest {
  url: string;
  body: unknown;
}

/** DingTalk's signed URL: timestamp (ms) and base64 HMAC-SHA256 of "timestamp\nsecret" keyed by the secret. */
export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64");
}

export function signedDingtalkUrl(url: string, secret: string, timestamp: number): string {
  const u = new URL(url);
  u.searchParams.set("timestamp", String(timestamp));
  u.searchParams.set("sign", dingtalkSign(secret, timestamp));
  return u.toString();
}

/** Cuts text to a byte budget (WeCom refuses markdown content over 4096 bytes) without splitting a character. */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (used + n > maxBytes - 3) break;
    out += ch;
    used += n;
  }
  return `${out}…`;
}

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

/** The request one webhook gets for one change, in the receiving service's own format. */
export function webhookRequest(hook: WebhookConfig, change: AlertChange, cfg: AlertsConfig, now = Date.now()): WebhookRequest {
  const lang = cfg.console.language;
  const link = cfg.publicUrl ? `[${lang === "zh" ? "打开安防控制台" : "Open the security console"}](${cfg.publicUrl})` : undefined;
  switch (hook.type) {
    case "wecom": {
      const { title, body } = lines(change, cfg, lang);
      const content = [`## <font color="${WECOM_COLOUR[change.alert.severity]}">${title}</font>`, ...body.map((l) => `> ${l}`), ...(link ? [link] : [])].join("\n");
      return { url: hook.url, body: { msgtype: "markdown", markdown: { content: fitBytes(content, 4_096) } } };
    }
    case "dingtalk": {
      const { title, body } = lines(change, cfg, lang);
      const text = [`### ${title}`, ...body.map((l) => `- ${l}`), ...(link ? ["", link] : [])].join("\n");
      return { url: hook.secret ? signedDingtalkUrl(hook.url, hook.secret, now) : hook.url, body: { msgtype: "markdown", markdown: { title, text: fitBytes(text, 18_000) } } };
    }
    case "json":
      return { url: hook.url, body: { event: change.event, at: change.at, alert: change.alert } };
  }
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
 * type and where, Chinese first and then English, with the console link. JSON hooks get every
 * change in it.
 */
export function digestRequest(hook: WebhookConfig, changes: readonly AlertChange[], cfg: AlertsConfig, now = Date.now()): WebhookRequest {
  const link = cfg.publicUrl ? `[打开安防控制台 / Open the security console](${cfg.publicUrl})` : undefined;
  switch (hook.type) {
    case "wecom": {
      const { title, zh, en } = digestLines(changes);
      // the link and the title are kept whole; the groups are what a 4096-byte cut may shorten
      const tail = link ? `\n${link}` : "";
      const head = `## <font color="warning">${title}</font>\n`;
      const body = fitBytes([...zh.map((l) => `> ${l}`), "", ...en.map((l) => `> ${l}`)].join("\n"), 4_096 - Buffer.byteLength(head + tail));
      return { url: hook.url, body: { msgtype: "markdown", markdown: { content: head + body + tail } } };
    }
    case "dingtalk": {
      const { title, zh, en } = digestLines(changes);
      const text = [`### ${title}`, ...zh.map((l) => `- ${l}`), "", ...en.map((l) => `- ${l}`), ...(link ? ["", link] : [])].join("\n");
      return { url: hook.secret ? signedDingtalkUrl(hook.url, hook.secret, now) : hook.url, body: { msgtype: "markdown", markdown: { title, text: fitBytes(text, 18_000) } } };
    }
    case "json":
      return { url: hook.url, body: { event: "digest", at: now, count: changes.length, changes: changes.map((c) => ({ event: c.event, at: c.at, alert: c.alert })) } };
  }
}

/**
 * Posts a request; resolves when the service accepted it. WeCom and DingTalk answer HTTP 200 with
 * `errcode` != 0 on refusal (rate limit, bad sign), which counts as a failure to be retried.
 */
export async function postWebhook(hook: WebhookConfig, req: WebhookRequest, timeoutMs: number): Promise<void> {
  const res = await fetch(req.url, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(req.body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  if (hook.type !== "json") {
    let reply: { errcode?: number; errmsg?: string };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new Error(`not a robot reply: ${text.slice(0, 200)}`);
    }
    if (reply.errcode !== 0) throw new Error(`errcode ${reply.errcode}: ${reply.errmsg ?? ""}`);
  }
}
