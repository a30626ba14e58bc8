import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Session } from "../../console/auth.ts";
import { consoleNav } from "../../console/nav.ts";
import type { StaffConsole } from "../../console/staff-console.ts";
import type { Core } from "../../core.ts";
import { HoldError } from "../../evidence/holds.ts";
import { EVIDENCE_ID } from "../../evidence/store.ts";
import { tarFolder } from "../../evidence/tar.ts";
import { readBody, sendJson } from "../../http/routes.ts";
import type { Lang } from "../../i18n.ts";
import { may, type StaffRole } from "../../staff/roles.ts";
import type { AlertsConfig } from "../config.ts";
import { AlertError, type AlertEngine } from "../engine.ts";
import type { AlertHolds } from "../legal-hold.ts";
import { packageContents, writeAlertPackage } from "../package.ts";
import { summaryText } from "../text.ts";
import type { AlertStore } from "../store.ts";
import type { Alert } from "../types.ts";
import type { DeviceMutes } from "../mutes.ts";
import type { ChannelHealth } from "../../channels/types.ts";
import { addNotifyRoutes } from "./notify-routes.ts";
import { packageListing } from "./package-listing.ts";
import { consoleCss, consoleJs, consolePage } from "./page.ts";
import { ui } from "./strings.ts";

interface Stream {
  res: ServerResponse;
  session: Session;
  lang: Lang;
}

/**
 * The guard room's alert page behind the console's sign-in: the live list of open alerts
 * (Server-Sent Events), acknowledge and resolve with a note, history, evidence pictures, legal
 * hold and the evidence package (supervisors and administrators; only an administrator releases a
 * hold). Every route needs a session.
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
    private readonly holds: AlertHolds,
  ) {}

  start(): void {
    const { login } = this;
    const add = (method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>) => this.core.http.add(method, path, handler);
    const { pages } = this.core;
    pages.add({ key: "alerts", path: "/", label: ui.alerts, permission: "alerts", order: 10 });
    login.addRoutes(this.core.http, pages, (session, lang, url) =>
      consolePage(lang, consoleNav(pages.list(), session, lang, url), session.displayName, this.cfg.timeZone, {
        orders: this.core.config.orders.enabled && may(session.role, "orders.all"),
      }),
    );
    add("GET", "/console.js", (req, res) => this.#asset(req, res, "text/javascript; charset=utf-8", consoleJs));
    add("GET", "/console.css", (req, res) => this.#asset(req, res, "text/css; charset=utf-8", consoleCss));
    add("GET", "/api/alerts", (req, res, url) => login.authed(req, res, (s) => sendJson(res, 200, { alerts: this.#view(this.store.unresolved(), login.lang(req, url), s.role) })));
    add("GET", "/api/alerts/history", (req, res, url) => login.authed(req, res, (s) => this.#history(res, url, login.lang(req, url), s.role)));
    add("GET", "/api/alerts/log", (req, res, url) => login.authed(req, res, () => sendJson(res, 200, { log: this.store.log(url.searchParams.get("id") ?? "") })));
    add("GET", "/api/alerts/stream", (req, res, url) => login.authed(req, res, (s) => this.#stream(req, res, s, login.lang(req, url))));
    add("POST", "/api/alerts/ack", (req, res, url) => login.authed(req, res, (s) => this.#act(req, res, s, "ack", login.lang(req, url))));
    add("POST", "/api/alerts/resolve", (req, res, url) => login.authed(req, res, (s) => this.#act(req, res, s, "resolve", login.lang(req, url))));
    add("POST", "/api/alerts/hold", (req, res, url) => login.authed(req, res, (s) => this.#act(req, res, s, "hold", login.lang(req, url)), "legal_hold"));
    add("POST", "/api/alerts/release-hold", (req, res, url) => login.authed(req, res, (s) => this.#act(req, res, s, "release-hold", login.lang(req, url)), "legal_hold.release"));
    add("GET", "/api/alerts/package", (req, res, url) => login.authed(req, res, () => this.#package(res, url), "legal_hold"));
    add("GET", "/api/alerts/package.tar", (req, res, url) => login.authed(req, res, (s) => this.#packageTar(res, url, s), "legal_hold"));
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

  /** Alerts as the page shows them: with their details as a sentence in the reader's language, whether their device is muted, their legal hold, and whether the reader may hold them. */
  #view(alerts: Alert[], lang: Lang, role: StaffRole): Array<Alert & { text: string; muted: boolean; hold?: { at: number; by: string; reason: string }; mayHold: boolean }> {
    const now = Date.now();
    const mayHold = may(role, "legal_hold");
    return alerts.map((a) => {
      const hold = this.holds.current(a.id);
      return { ...a, text: summaryText(a, lang, this.cfg.timeZone), muted: this.mutes.isMuted(a.place.device, now), ...(hold ? { hold: { at: hold.at, by: hold.by, reason: hold.reason } } : {}), mayHold };
    });
  }

  #history(res: ServerResponse, url: URL, lang: Lang, role: StaffRole): void {
    const limit = Math.min(500, Math.max(1, Number(url.searchParams.get("limit") ?? 100) || 100));
    const before = Number(url.searchParams.get("before"));
    const state = url.searchParams.get("state") ?? undefined;
    sendJson(res, 200, { alerts: this.#view(this.store.history(limit, Number.isFinite(before) && before > 0 ? before : undefined, state), lang, role) });
  }

  /** The alert's evidence package as JSON with links to its files (the CLI writes the same as a folder). */
  #package(res: ServerResponse, url: URL): void {
    const alert = this.store.get(url.searchParams.get("id") ?? "");
    if (!alert) return sendJson(res, 404, { error: "no such alert" });
    sendJson(res, 200, packageListing(alert, this.store, this.core.evidence));
  }

  /** The alert's evidence package as one .tar (the folder `linli alerts package` writes), for a supervisor to hand over. */
  #packageTar(res: ServerResponse, url: URL, session: Session): void {
    const alert = this.store.get(url.searchParams.get("id") ?? "");
    if (!alert) return sendJson(res, 404, { error: "no such alert" });
    const dir = mkdtempSync(join(tmpdir(), "linli-package-"));
    try {
      const manifest = writeAlertPackage(dir, packageContents(alert, this.store, this.core.evidence), this.core.evidence);
      const tar = tarFolder(dir, `linli-${alert.id}`);
      this.core.log.info({ alert: alert.id, by: session.user, files: manifest.files.length, held: manifest.hold !== null }, "alert evidence package downloaded");
      res.writeHead(200, {
        "content-type": "application/x-tar",
        "content-length": tar.length,
        "content-disposition": `attachment; filename="linli-${alert.id}.tar"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      res.end(tar);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async #act(req: IncomingMessage, res: ServerResponse, session: Session, action: "ack" | "resolve" | "hold" | "release-hold", lang: Lang): Promise<void> {
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
      if (action === "hold" || action === "release-hold") {
        // the account id, not only the display name: a court asks which login did it
        const by = `${session.displayName} (${session.user})`;
        if (action === "hold") this.holds.hold(body.id, by, note);
        else this.holds.release(body.id, by, note);
        this.core.log.warn({ alert: body.id, by: session.user, reason: note }, action === "hold" ? "alert put on legal hold" : "legal hold released");
        const alert = this.store.get(body.id)!;
        this.#push("change", action === "hold" ? "held" : "released", alert);
        return sendJson(res, 200, { alert: this.#view([alert], lang, session.role)[0] });
      }
      const change = action === "ack" ? this.engine.acknowledge(body.id, session.displayName, note) : this.engine.resolve(body.id, session.displayName, note);
      sendJson(res, 200, { alert: this.#view([change.alert], lang, session.role)[0] });
    } catch (err) {
      if (err instanceof AlertError) return sendJson(res, err.status, { error: err.message });
      if (err instanceof HoldError) return sendJson(res, err.status, { error: err.message });
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
    this.#send(entry, "snapshot", { alerts: this.#view(this.store.unresolved(), lang, session.role) });
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
      if (event && alert) this.#send(s, event, { event: what, alert: this.#view([alert], s.lang, s.session.role)[0] });
      else s.res.write(`: keep-alive\n\n`);
    }
  }

  #send(s: { res: ServerResponse }, event: string, data: unknown): void {
    s.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
