import { mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Logger } from "pino";
import type { RouteAdder } from "../http/routes.ts";
import { readBody, sendJson } from "../http/routes.ts";
import type { Lang } from "../i18n.ts";
import { FailureSlowdown } from "../security/limits.ts";
import type { StaffAuthenticator, StaffMember, StaffRole } from "../staff/desk.ts";
import { landingOf, may, type Permission } from "../staff/roles.ts";
import { addAccountRoutes } from "./accounts-routes.ts";
import { parseCookies, Sessions, verifyPassword, type Session } from "./auth.ts";
import type { ConsoleConfig } from "./config.ts";
import { ConsoleDb } from "./console-db.ts";
import { LANG_COOKIE, langCookies, langOf, sendHtml } from "./html.ts";
import { loginPage, loginUi, safeNext } from "./login-page.ts";
import type { ConsolePageAdder } from "./pages.ts";

/** The session half of the console's database, as `Sessions` wants it. */
function bind(db: ConsoleDb) {
  return {
    saveSession: db.saveSession.bind(db),
    session: db.session.bind(db),
    endSession: db.endSession.bind(db),
    sweepSessions: db.sweepSessions.bind(db),
  };
}

const SESSION_COOKIE = "linli_console";
/** The page a signed-in member of staff gets at `/` (the console's owner draws it). */
export type HomePage = (session: Session, lang: Lang, url: URL) => string;

/**
 * The console's sign-in: accounts, sessions in cookies, the login page, a slowdown after failed
 * logins, and the language choice. It knows nothing of what the console shows: its owner gives the
 * home page and adds its own routes behind `authed`. It also answers the core's "which staff member
 * sent this request?" (`userOf`).
 */
export class StaffConsole implements StaffAuthenticator {
  readonly #sessions: Sessions;
  /** accounts added at run time and sessions that outlive a restart; none without a data dir (tests of the pieces) */
  readonly #db: ConsoleDb | undefined;
  /** after 10 failed logins from one address, it is refused until it has been quiet for 5 minutes */
  readonly #throttle = new FailureSlowdown({ freeAttempts: 9, baseDelayMs: 1, maxDelayMs: 1, forgetAfterMs: 5 * 60_000 });

  constructor(
    private readonly cfg: ConsoleConfig,
    private readonly log: Logger,
    dataDir?: string,
  ) {
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    this.#db = dataDir === undefined ? undefined : new ConsoleDb(join(dataDir, "console.db"));
    const db = this.#db;
    const backing = db && { ...bind(db), identity: (user: string) => this.#account(user) };
    this.#sessions = new Sessions(cfg.sessionTtlMinutes * 60_000, Date.now, backing);
  }

  /** Adds `/`, `/login`, `/logout` and, with a data dir, the administrator's accounts page (and its navigation entry). */
  addRoutes(http: RouteAdder, pages: ConsolePageAdder, home: HomePage): void {
    http.add("GET", "/", (req, res, url) => {
      const lang = this.lang(req, url);
      const session = this.session(req);
      if (session && !may(session.role, "alerts")) {
        res.writeHead(303, { location: landingOf(session.role) });
        return void res.end();
      }
      this.sendPage(res, 200, session ? home(session, lang, url) : loginPage(lang), langCookies(url));
    });
    if (this.#db) addAccountRoutes(http, pages, this, this.#db, this.cfg.accounts.map((a) => a.user));
    // `next`: the page that sent a signed-out browser here (a technician's link to a work order)
    http.add("GET", "/login", (req, res, url) => this.sendPage(res, 200, loginPage(this.lang(req, url), undefined, safeNext(url.searchParams.get("next"))), langCookies(url)));
    http.add("POST", "/login", (req, res) => this.#login(req, res));
    http.add("POST", "/logout", (req, res) => this.#logout(req, res));
  }

  userOf(req: IncomingMessage): string | undefined {
    return this.session(req)?.user;
  }

  roleOf(req: IncomingMessage): StaffRole | undefined {
    return this.session(req)?.role;
  }

  displayNameOf(req: IncomingMessage): string | undefined {
    return this.session(req)?.displayName;
  }

  /** Accounts from linli.yaml first, then those added at run time (a name in both is the config's). */
  members(): StaffMember[] {
    const fromConfig = this.cfg.accounts.map((a) => ({ user: a.user, displayName: a.displayName ?? a.user, role: a.role }));
    const added = (this.#db?.accounts() ?? []).filter((a) => !fromConfig.some((c) => c.user === a.user)).map((a) => ({ user: a.user, displayName: a.displayName, role: a.role }));
    return [...fromConfig, ...added];
  }

  close(): void {
    this.#db?.close();
  }

  session(req: IncomingMessage): Session | undefined {
    return this.#sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
  }

  /** Whether a session (an open page's, say) is still valid. */
  isLive(session: Session): boolean {
    return this.#sessions.get(session.token) !== undefined;
  }

  /**
   * Runs `then` for a signed-in request whose role has the permission; nobody signed in gets 401, a
   * role without it 403. The default is the guard room's, whose routes call this without one.
   */
  async authed(req: IncomingMessage, res: ServerResponse, then: (s: Session) => void | Promise<void>, permission: Permission = "alerts"): Promise<void> {
    const session = this.session(req);
    if (!session) return sendJson(res, 401, { error: "login required" });
    if (!may(session.role, permission)) return sendJson(res, 403, { error: `the ${session.role} role may not do this` });
    await then(session);
  }

  /** `?lang=` first, then the browser's cookie, then the configured default. */
  lang(req: IncomingMessage, url: URL): Lang {
    return langOf(req, url, this.cfg.language);
  }

  sendPage(res: ServerResponse, status: number, html: string, cookies: string[] = []): void {
    sendHtml(res, status, html, cookies);
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 8_192)).toString("utf8"));
    const user = form.get("user") ?? "";
    const password = form.get("password") ?? "";
    const langField = form.get("lang");
    const lang: Lang = langField === "en" || langField === "zh" ? langField : this.cfg.language;
    const next = safeNext(form.get("next"));
    const from = req.socket.remoteAddress ?? "?";
    if (this.#throttle.delayFor(from, Date.now()) > 0) {
      this.log.warn({ user, from }, "console login refused: too many failures");
      return this.sendPage(res, 429, loginPage(lang, loginUi.tooMany[lang], next));
    }
    const account = this.cfg.accounts.find((a) => a.user === user) ?? this.#db?.account(user);
    const ok = account ? await verifyPassword(password, account.passwordHash).catch(() => false) : false;
    if (!account || !ok) {
      this.#throttle.failed(from, Date.now());
      this.log.warn({ user, from }, "console login refused");
      await new Promise((r) => setTimeout(r, 400)); // slows guessing
      return this.sendPage(res, 401, loginPage(lang, loginUi.badLogin[lang], next));
    }
    this.#throttle.forget(from);
    const session = this.#sessions.create(account.user, account.displayName ?? account.user, account.role);
    this.log.info({ user: account.user }, "console login");
    res.writeHead(303, {
      location: next,
      "set-cookie": [
        `${SESSION_COOKIE}=${session.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.cfg.sessionTtlMinutes * 60)}`,
        `${LANG_COOKIE}=${lang}; Path=/; SameSite=Strict; Max-Age=31536000`,
      ],
    });
    res.end();
  }

  /** The account's name and role as they are now (config first), for a session on each request. */
  #account(user: string): { displayName: string; role: StaffRole } | undefined {
    const m = this.members().find((a) => a.user === user);
    return m && { displayName: m.displayName, role: m.role };
  }

  #logout(req: IncomingMessage, res: ServerResponse): void {
    this.#sessions.end(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    res.writeHead(303, { location: "/", "set-cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
    res.end();
  }
}
