import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Session } from "../../console/auth.ts";
import type { StaffConsole } from "../../console/staff-console.ts";
import type { Core } from "../../core.ts";
import { EVIDENCE_ID } from "../../evidence/store.ts";
import { readBody, sendJson } from "../../http/routes.ts";
import type { Lang } from "../../i18n.ts";
import { may } from "../../staff/roles.ts";
import type { AlertsConfig } from "../config.ts";
import { AlertError, type AlertEngine } from "../engine.ts";
import { summaryText } from "../text.ts";
import type { AlertStore } from "../store.ts";
import type { Alert } from "../types.ts";
import type { DeviceMutes } from "../mutes.ts";
import type { ChannelHealth } from "../pacing.ts";
import { addNotifyRoutes } from "./notify-routes.ts";
import { consoleCss, consoleJs, consolePage } from "./page.ts";

interface Stream {
  res: ServerResponse;
  session: Session;
  lang: Lang;
}

/**
 * The guard room's alert page behind the console's sign-in: the live list of open alerts
 * (Server-Sent Events), acknowledge and resolve with a note, history, evidence pictures. Every
 * route needs a session.
 */
export class AlertsConsole {
  readonly #streams = new Set<Stream>();
  #keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: AlertsConfig,
    private readonly login: StaffConsole,
    private readonly engine: AlertEngine,
    private readonly store: AlertStore,
    private readonly mutes: DeviceMutes,
    private readonly channels: () => ChannelHealth[],
  ) {}

  start(): void {
    const { login } = this;
    const add = (method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>) => this.core.http.add(method, path, handler);
    login.addRoutes(this.core.http, (session, lang) => consolePage(lang, session.displayName, this.cfg.timeZone, {
        labelling: this.core.config.learning.enabled,
        orders: this.core.config.orders.enabled && may(session.role, "orders.all"),
        devices: this.core.config.devicesPage.enabled,
        parking: this.core.config.parking.enabled && this.core.config.parking.carParks.length > 0,
      }));
    add("GET", "/console.js", (req, res) => this.#asset(req, res, "text/javascript; charset=utf-8", consoleJs));
    add("GET", "/console.css", (req, res) => this.#asset(req, res, "text/css; charset=utf-8", consoleCss));
    add("GET", "/api/alerts", (req, res, url) => login.authed(req, res, () => sendJson(res, 200, { alerts: this.#view(this.store.unresolved(), login.lang(req, url)) })));
    add("GET", "/api/alerts/history", (req, res, url) => login.authed(req, res, () => this.#history(res, url, login.lang(req, url))));
    add("GET", "/api/alerts/log", (req, res, url) => login.authed(req, res, () => sendJson(res, 200, { log: this.store.log(url.searchParams.get("id") ?? "") })));
    add("GET", "/api/alerts/stream", (req, res, url) => login.authed(req, res, (s) => this.#stream(req, res, s, login.lang(req, url))));
    add("POST", "/api/alerts/ack", (req, res, url) => login.authed(req, res, (s) => this.#act(req, res, s, "ack", login.lang(req, url))));
    add("POST", "/api/alerts/resolve", (req, res, url) => login.authed(req, res, (s) => this.#act(req, res, s, "resolve", login.lang(req, url))));
    addNotifyRoutes(this.core, login, this.mutes, this.channels);
    add("GET", "/evidence/*", (req, res, url) => login.authed(req, res, () => this.#evidence(res, url)));
    this.core.bus.on("alert.changed", (change) => this.#push("change", change.event, change.alert));
    this.#keepalive = setInterval(() => this.#push(), 20_000);
  }

  stop(): void {
    clearInterval(this.#keepalive);
    for (const s of this.#streams) s.res.end();
    this.#streams.clear();
  }

  #asset(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
    if (!this.login.session(req)) return sendJson(res, 401, { error: "login required" });
    res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
    res.end(body);
  }

  /** Alerts as the page shows them: with their details as a sentence in the reader's language, and whether their device is muted. */
  #view(alerts: Alert[], lang: Lang): Array<Alert & { text: string; muted: boolean }> {
    const now = Date.now();
    return alerts.map((a) => ({ ...a, text: summaryText(a, lang, this.cfg.timeZone), muted: this.mutes.isMuted(a.place.device, now) }));
  }

  #history(res: ServerResponse, url: URL, lang: Lang): void {
    const limit = Math.min(500, Math.max(1, Number(url.searchParams.get("limit") ?? 100) || 100));
    const before = Number(url.searchParams.get("before"));
    const state = url.searchParams.get("state") ?? undefined;
    sendJson(res, 200, { alerts: this.#view(this.store.history(limit, Number.isFinite(before) && before > 0 ? before : undefined, state), lang) });
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
      const change = action === "ack" ? this.engine.acknowledge(body.id, session.displayName, note) : this.engine.resolve(body.id, session.displayName, note);
      sendJson(res, 200, { alert: this.#view([change.alert], lang)[0] });
    } catch (err) {
      if (err instanceof AlertError) return sendJson(res, err.status, { error: err.message });
      throw err;
    }
  }

  #evidence(res: ServerResponse, url: URL): void {
    const id = decodeURIComponent(url.pathname.slice("/evidence/".length));
    const evidence = this.core.evidence;
    const record = EVIDENCE_ID.test(id) ? evidence.get(id) : undefined;
    if (!record) return sendJson(res, 404, { error: "no such evidence (or past its retention)" });
    res.writeHead(200, {
      "content-type": record.mime,
      "content-length": record.size,
      "cache-control": "private, max-age=86400, immutable",
      "x-content-type-options": "nosniff",
      "x-sha256": record.sha256,
    });
    createReadStream(evidence.path(record)).on("error", () => res.destroy()).pipe(res);
  }

  #stream(req: IncomingMessage, res: ServerResponse, session: Session, lang: Lang): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(`retry: 2000\n\n`);
    const entry = { res, session, lang };
    this.#streams.add(entry);
    req.on("close", () => this.#streams.delete(entry));
    this.#send(entry, "snapshot", { alerts: this.#view(this.store.unresolved(), lang) });
  }

  /** Sends an event to every open page (or a keep-alive comment); a page whose session ended is told to log in again. */
  #push(event?: string, what?: string, alert?: Alert): void {
    for (const s of this.#streams) {
      if (!this.login.isLive(s.session)) {
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
