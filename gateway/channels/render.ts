import { createHmac } from "node:crypto";
import type { ChannelTarget } from "./config.ts";
import type { ChatMessage } from "./types.ts";

export interface WebhookRequest {
  url: string;
  body: unknown;
}

/** DingTalk's signed URL: timestamp (ms) and base64 HMAC-SHA256 of "timestamp\nsecret" keyed by the secret. */
function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64");
}

function signedDingtalkUrl(url: string, secret: string, timestamp: number): string {
  const u = new URL(url);
  u.searchParams.set("timestamp", String(timestamp));
  u.searchParams.set("sign", dingtalkSign(secret, timestamp));
  return u.toString();
}

/** Cuts text to a byte budget (WeCom refuses markdown content over 4096 bytes) without splitting a character. */
function fitBytes(text: string, maxBytes: number): string {
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

const WECOM_MAX_BYTES = 4_096;
const DINGTALK_MAX_BYTES = 18_000;

/** What a JSON webhook or an MQTT channel carries for a message. */
export function jsonOf(m: ChatMessage): unknown {
  return m.json ?? { title: m.title, lines: m.lines, ...(m.link ? { link: m.link } : {}) };
}

/**
 * The request a webhook gets for a message, in the receiving service's own format. Built per
 * attempt: a DingTalk signature is only valid for an hour.
 */
export function webhookRequest(target: ChannelTarget, m: ChatMessage, now = Date.now()): WebhookRequest {
  const url = target.url ?? "";
  const link = m.link ? `[${m.link.text}](${m.link.url})` : undefined;
  switch (target.type) {
    case "wecom": {
      // the link is kept whole; the lines are what the 4096-byte cut may shorten
      const tail = link ? `\n${link}` : "";
      const main = [`## <font color="${m.tone ?? "warning"}">${m.title}</font>`, ...m.lines.map((l) => (l === "" ? "" : `> ${l}`))].join("\n");
      return { url, body: { msgtype: "markdown", markdown: { content: fitBytes(main, WECOM_MAX_BYTES - Buffer.byteLength(tail)) + tail } } };
    }
    case "dingtalk": {
      const text = [`### ${m.title}`, ...m.lines.map((l) => (l === "" ? "" : `- ${l}`)), ...(link ? ["", link] : [])].join("\n");
      return { url: target.secret ? signedDingtalkUrl(url, target.secret, now) : url, body: { msgtype: "markdown", markdown: { title: m.title, text: fitBytes(text, DINGTALK_MAX_BYTES) } } };
    }
    case "json":
    case "mqtt":
      return { url, body: jsonOf(m) };
  }
}

/**
 * Posts a request; resolves when the service accepted it. WeCom and DingTalk answer HTTP 200 with
 * `errcode` != 0 on refusal (rate limit, bad sign), which counts as a failure to be retried.
 */
export async function postWebhook(target: ChannelTarget, req: WebhookRequest, timeoutMs: number): Promise<void> {
  const res = await fetch(req.url, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(req.body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  if (target.type === "wecom" || target.type === "dingtalk") {
    let reply: { errcode?: number; errmsg?: string };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new Error(`not a robot reply: ${text.slice(0, 200)}`);
    }
    if (reply.errcode !== 0) throw new Error(`errcode ${reply.errcode}: ${reply.errmsg ?? ""}`);
  }
}
