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
