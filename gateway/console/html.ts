import type { IncomingMessage, ServerResponse } from "node:http";
import type { Lang } from "../i18n.ts";
import { parseCookies } from "./auth.ts";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** JSON inside a <script type="application/json">: "<" escaped so no text can close the tag. */
export function jsonScript(id: string, value: unknown): string {
  return `<script type="application/json" id="${id}">${JSON.stringify(value).replace(/</g, "\\u003c")}</script>`;
}

export const otherLang = (lang: Lang): Lang => (lang === "zh" ? "en" : "zh");

/** The cookie that keeps a browser's language choice across the console's pages. */
export const LANG_COOKIE = "linli_lang";

/** Headers of every console page: never cached, never framed, its own script and style only. */
export const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  // the page loads its own script and style only; pictures come from the gateway's own routes
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
} as const;

export function sendHtml(res: ServerResponse, status: number, html: string, cookies: string[] = []): void {
  res.writeHead(status, { ...HTML_HEADERS, ...(cookies.length ? { "set-cookie": cookies } : {}) });
  res.end(html);
}

/** `?lang=` first, then the browser's cookie, then the site's default. */
export function langOf(req: IncomingMessage, url: URL, fallback: Lang): Lang {
  const q = url.searchParams.get("lang");
  if (q === "zh" || q === "en") return q;
  const c = parseCookies(req.headers.cookie)[LANG_COOKIE];
  return c === "zh" || c === "en" ? c : fallback;
}

/** The cookie that remembers a `?lang=` choice, or none. */
export function langCookies(url: URL): string[] {
  const q = url.searchParams.get("lang");
  return q === "zh" || q === "en" ? [`${LANG_COOKIE}=${q}; Path=/; SameSite=Strict; Max-Age=31536000`] : [];
}
