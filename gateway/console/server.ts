import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "../http/routes.ts";
import type { Core } from "../extension.ts";
import type { AlertsConfig } from "../alerts/config.ts";
import { AlertError, type AlertEngine } from "../alerts/engine.ts";
import { summaryText, type Lang } from "../alerts/i18n.ts";
import type { Alert } from "../alerts/types.ts";
import type { AlertStore } from "../alerts/store.ts";
import { EVIDENCE_ID, type EvidenceStore } from "../evidence/store.ts";
import { FailureSlowdown } from "../security/limits.ts";
import { parseCookies, Sessions, verifyPassword, type Session } from "./auth.ts";
import { consoleCss, consoleJs, consolePage, loginPage } from "./page.ts";
import { ui } from "./strings.ts";

const SESSION_COOKIE = "linli_console";
const LANG_COOKIE = "linli_lang";
const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  // the page loads its own script and style only; pictures come from the evidence route
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
};

export interface ConsoleDeps {
  engine: AlertEngine;
  store: AlertStore;
  evidence: EvidenceStore;
}

/**
 * The guard room's page: login, the live list of open alerts (Server-Sent Events), acknowledge and
 * resolve with a note, history, evidence pictures. Every route but the login page needs a session.
 */
export class SecurityConsole {
  readonly #sessions: Sessions;
  /** after 10 failed logins from one address, it is refused until it has been quiet for 5 minutes */
  readonly #throttle = new FailureSlowdown({ freeAttempts: 9, baseDelayMs: 1, maxDelayMs: 1, forgetAfterMs: 5 * 60_000 });
  readonly #streams = new Set<{ res: ServerResponse; session: Session; lang: Lang }>();
  readonly #cleanup: Array<() => void> = [];
  #keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: AlertsConfig,
    private readonly deps: ConsoleDeps,
  ) {
    this.#sessions = new Sessions(cfg.console.sessionTtlMinutes * 60_000);
  }

  start(): void {
    const add = (method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>) =>
      this.#cleanup.push(this.core.http.add(method, path, handler));
    add("GET", "/", (req, res, url) => this.#index(req, res, url));
    add("GET", "/login", (req, res, url) => this.#page(res, 200, loginPage(this.#lang(req, url)), this.#langCookie(url)));
    add("POST", "/login", (req, res) => this.#login(req, res));
    add("POST", "/logout", (req, res) => this.#logout(req, res));
    add("GET", "/console.js", (req, res) => this.#asset(req, res, "text/javascript; charset=utf-8", consoleJs));
    add("GET", "/console.css", (req, res) => this.#asset(req, res, "text/css; charset=utf-8", consoleCss));
    add("GET", "/api/alerts", (req, res, url) => this.#authed(req, res, () => sendJson(res, 200, { alerts: this.#view(this.deps.store.unresolved(), this.#lang(req, url)) })));
    add("GET", "/api/alerts/history", (req, res, url) => this.#authed(req, res, () => this.#history(res, url, this.#lang(req, url))));
    add("GET", "/api/alerts/log", (req, res, url) => this.#authed(req, res, () => sendJson(res, 200, { log: this.deps.store.log(url.searchParams.get("id") ?? "") })));
    add("GET", "/api/alerts/stream", (req, res, url) => this.#authed(req, res, (s) => this.#stream(req, res, s, this.#lang(req, url))));
    add("POST", "/api/alerts/ack", (req, res, url) => this.#authed(req, res, (s) => this.#act(req, res, s, "ack", this.#lang(req, url))));
    add("POST", "/api/alerts/resolve", (req, res, url) => this.#authed(req, res, (s) => this.#act(req, res, s, "resolve", this.#lang(req, url))));
    add("GET", "/evidence/*", (req, res, url) => this.#authed(req, res, () => this.#evidence(res, url)));
    this.#cleanup.push(this.core.bus.on("alert.changed", (change) => this.#push("change", change.event, change.alert)));
    this.#keepalive = setInterval(() => this.#push(), 20_000);
  }

  stop(): void {
    clearInterval(this.#keepalive);
    for (const off of this.#cleanup.splice(0)) off();
    for (const s of this.#streams) s.res.end();
    this.#streams.clear();
  }

  #lang(req: IncomingMessage, url: URL): Lang {
    const q = url.searchParams.get("lang");
    if (q === "zh" || q === "en") return q;
    const c = parseCookies(req.headers.cookie)[LANG_COOKIE];
    return c === "zh" || c === "en" ? c : this.cfg.console.language;
  }

  #langCookie(url: URL): string[] {
    const q = url.searchParams.get("lang");
    return q === "zh" || q === "en" ? [`${LANG_COOKIE}=${q}; Path=/; SameSite=Strict; Max-Age=31536000`] : [];
  }

  /** The staff account logged in on this request's console session, for other features' staff APIs. */
  userOf(req: IncomingMessage): string | undefined {
    return this.#session(req)?.user;
  }

  #session(req: IncomingMessage): Session | undefined {
    return this.#sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
  }

  #page(res: ServerResponse, status: number, html: string, cookies: string[] = []): void {
    res.writeHead(status, { ...HTML_HEADERS, ...(cookies.length ? { "set-cookie": cookies } : {}) });
    res.end(html);
  }

  #index(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const lang = this.#lang(req, url);
    const session = this.#session(req);
    if (!session) return this.#page(res, 200, loginPage(lang), this.#langCookie(url));
    this.#page(res, 200, consolePage(lang, session.displayName, this.cfg.timeZone), this.#langCookie(url));
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 8_192)).toString("utf8"));
    const user = form.get("user") ?? "";
    const password = form.get("password") ?? "";
    const langField = form.get("lang");
    const lang: Lang = langField === "en" || langField === "zh" ? langField : this.cfg.console.language;
    const from = req.socket.remoteAddress ?? "?";
    if (this.#throttle.delayFor(from, Date.now()) > 0) {
      this.core.log.warn({ user, from }, "console login refused: too many failures");
      return this.#page(res, 429, loginPage(lang, ui.tooMany[lang]));
    }
    const account = this.cfg.console.accounts.find((a) => a.user === user);
    const ok = account ? await verifyPassword(password, account.passwordHash).catch(() => false) : false;
    if (!account || !ok) {
      this.#throttle.failed(from, Date.now());
      this.core.log.warn({ user, from }, "console login refused");
      await new Promise((r) => setTimeout(r, 400)); // slows guessing
      return this.#page(res, 401, loginPage(lang, ui.badLogin[lang]));
    }
    this.#throttle.forget(from);
    const session = this.#sessions.create(account.user, account.displayName ?? account.user);
    this.core.log.info({ user: account.user }, "console login");
    res.writeHead(303, {
      location: "/",
      "set-cookie": [
        `${SESSION_COOKIE}=${session.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.cfg.console.sessionTtlMinutes * 60)}`,
        `${LANG_COOKIE}=${lang}; Path=/; SameSite=Strict; Max-Age=31536000`,
      ],
    });
    res.end();
  }

  #logout(req: IncomingMessage, res: ServerResponse): void {
    this.#sessions.end(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    res.writeHead(303, { location: "/", "set-cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
    res.end();
  }

  async #authed(req: IncomingMessage, res: ServerResponse, then: (s: Session) => void | Promise<void>): Promise<void> {
    const session = this.#session(req);
    if (!session) return sendJson(res, 401, { error: "login required" });
    await then(session);
  }

  #asset(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
    if (!this.#session(req)) return sendJson(res, 401, { error: "login required" });
    res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
    res.end(body);
  }

  /** Alerts as the page shows them: with their details as a sentence in the reader's language. */
  #view(alerts: Alert[], lang: Lang): Array<Alert & { text: string }> {
    return alerts.map((a) => ({ ...a, text: summaryText(a, lang, this.cfg.timeZone) }));
  }

  #history(res: ServerResponse, url: URL, lang: Lang): void {
    const limit = Math.min(500, Math.max(1, Number(url.searchParams.get("limit") ?? 100) || 100));
    const before = Number(url.searchParams.get("before"));
    const state = url.searchParams.get("state") ?? undefined;
    sendJson(res, 200, { alerts: this.#view(this.deps.store.history(limit, Number.isFinite(before) && before > 0 ? before : undefined, state), lang) });
  }

  async #act(req: IncomingMessage, res: ServerResponse, session: Session, action: "ack" | "resolve", lang: Lang): Promise<void> {
    // JSON only: a cross-site form cannot send it without a CORS preflight (with the SameSite cookie, CSRF is closed)
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return sendJson(res, 415, { error: "expected application/json" });
    let body: { id?: unknown; note?: unknown };
    try {
      body = JSON.parse((await readBody(req, 16_384)).toString("utf8")) as typeof body;
    } catch {
      return sendJson(res, 400, { error: "bad JSON" });
    }
    if (typeof body.id !== "string") return sendJson(res, 400, { error: "id is required" });
    const note = typeof body.note === "string" ? body.note.slice(0, 500).trim() : "";
    try {
      const change = action === "ack" ? this.deps.engine.acknowledge(body.id, session.displayName, note) : this.deps.engine.resolve(body.id, session.displayName, note);
      sendJson(res, 200, { alert: this.#view([change.alert], lang)[0] });
    } catch (err) {
      if (err instanceof AlertError) return sendJson(res, err.status, { error: err.message });
      throw err;
    }
  }

  #evidence(res: ServerResponse, url: URL): void {
    const id = decodeURIComponent(url.pathname.slice("/evidence/".length));
    const record = EVIDENCE_ID.test(id) ? this.deps.evidence.get(id) : undefined;
    if (!record) return sendJson(res, 404, { error: "no such evidence (or past its retention)" });
    res.writeHead(200, {
      "content-type": record.mime,
      "content-length": record.size,
      "cache-control": "private, max-age=86400, immutable",
      "x-content-type-options": "nosniff",
      "x-sha256": record.sha256,
    });
    createReadStream(this.deps.evidence.path(record)).on("error", () => res.destroy()).pipe(res);
  }

  #stream(req: IncomingMessage, res: ServerResponse, session: Session, lang: Lang): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(`retry: 2000\n\n`);
    const entry = { res, session, lang };
    this.#streams.add(entry);
    req.on("close", () => this.#streams.delete(entry));
    this.#send(entry, "snapshot", { alerts: this.#view(this.deps.store.unresolved(), lang) });
  }

  /** Sends an event to every open page (or a keep-alive comment); a page whose session ended is told to log in again. */
  #push(event?: string, what?: string, alert?: Alert): void {
    for (const s of this.#streams) {
      if (!this.#sessions.get(s.session.token)) {
        s.res.write(`event: logout\ndata: {}\n\n`);
        s.res.end();
        this.#streams.delete(s);
        continue;
      }
      if (event && alert) this.#send(s, event, { event: what, alert: this.#view([alert], s.lang)[0] });
      else s.res.write(`: keep-alive\n\n`);
    }
  }

  #send(s: { res: ServerResponse }, event: string, data: unknown): void {
    s.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
