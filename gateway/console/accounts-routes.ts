import type { IncomingMessage, ServerResponse } from "node:http";
import type { RouteAdder } from "../http/routes.ts";
import { readJson, sendJson } from "../http/routes.ts";
import { isStaffRole, STAFF_ROLES } from "../staff/roles.ts";
import { hashPassword } from "./auth.ts";
import type { ConsoleDb } from "./console-db.ts";
import { accountsJs, accountsLabel, accountsPage } from "./accounts-page.ts";
import { consoleNav } from "./nav.ts";
import type { ConsolePageAdder } from "./pages.ts";
import type { StaffConsole } from "./staff-console.ts";

const USER = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The administrator's accounts page (`/console/users`), its place in the console's navigation, and
 * its API: list, add, change a role, remove. Accounts from linli.yaml are listed but changed only there.
 */
export function addAccountRoutes(http: RouteAdder, pages: ConsolePageAdder, login: StaffConsole, db: ConsoleDb, configUsers: string[]): void {
  pages.add({ key: "accounts", path: "/console/users", label: accountsLabel, permission: "accounts", order: 90 });
  http.add("GET", "/console/users", (req, res, url) => {
    const s = login.session(req);
    if (!s) {
      res.writeHead(303, { location: "/login?next=/console/users" });
      return void res.end();
    }
    if (s.role !== "administrator") return sendJson(res, 403, { error: "an administrator's login is needed" });
    const lang = login.lang(req, url);
    login.sendPage(res, 200, accountsPage(lang, consoleNav(pages.list(), s, lang, url)));
  });
  http.add("GET", "/console/users.js", (req, res) =>
    login.authed(req, res, () => {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
      res.end(accountsJs);
    }, "accounts"),
  );
  http.add("GET", "/api/console/users", (req, res) =>
    login.authed(req, res, () => sendJson(res, 200, { accounts: login.members().map((m) => ({ ...m, inConfig: configUsers.includes(m.user) })) }), "accounts"),
  );
  http.add("POST", "/api/console/users", (req, res) => login.authed(req, res, () => change(req, res, db, configUsers), "accounts"));
}

async function change(req: IncomingMessage, res: ServerResponse, db: ConsoleDb, configUsers: string[]): Promise<void> {
  // JSON only: a cross-site form cannot send it (with the SameSite cookie, CSRF is closed)
  if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return sendJson(res, 415, { error: "expected application/json" });
  const body = (await readJson(req, 8_192)) as { action?: unknown; user?: unknown; role?: unknown; password?: unknown; displayName?: unknown } | undefined;
  if (!body || typeof body.user !== "string" || !USER.test(body.user)) return sendJson(res, 400, { error: "user: letters, digits, . _ - (1-64)" });
  if (configUsers.includes(body.user)) return sendJson(res, 409, { error: "this account is in linli.yaml: change it there" });
  switch (body.action) {
    case "add": {
      if (!isStaffRole(body.role)) return sendJson(res, 400, { error: `role: one of ${STAFF_ROLES.join(", ")}` });
      if (typeof body.password !== "string" || body.password.length < 8) return sendJson(res, 400, { error: "password: at least 8 characters" });
      const displayName = typeof body.displayName === "string" && body.displayName.trim() ? body.displayName.trim().slice(0, 64) : body.user;
      const added = db.addAccount({ user: body.user, passwordHash: await hashPassword(body.password), displayName, role: body.role });
      return added ? sendJson(res, 200, { ok: true }) : sendJson(res, 409, { error: "that user exists" });
    }
    case "set-role":
      if (!isStaffRole(body.role)) return sendJson(res, 400, { error: `role: one of ${STAFF_ROLES.join(", ")}` });
      return db.setRole(body.user, body.role) ? sendJson(res, 200, { ok: true }) : sendJson(res, 404, { error: "no such user" });
    case "remove":
      return db.removeAccount(body.user) ? sendJson(res, 200, { ok: true }) : sendJson(res, 404, { error: "no such user" });
    default:
      return sendJson(res, 400, { error: "action: add, set-role or remove" });
  }
}
