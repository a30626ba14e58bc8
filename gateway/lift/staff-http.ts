import type { Core } from "../core.ts";
import { readJson, sendJson } from "../http/routes.ts";
import type { GuardStatus } from "./guard.ts";
import { parseStaffCommand } from "./staff.ts";
import type { StaffCommands } from "./staff-commands.ts";

const ACTIONS = new Set(["release", "disable", "enable"]);

/** Parses an HTTP path `/api/lifts/<id>/<action>`. */
function parseLiftPath(pathname: string): { lift: string; action: string } | null {
  const m = /^\/api\/lifts\/([A-Za-z0-9_.-]+)\/([a-z]+)$/.exec(pathname);
  return m && m[1] && m[2] ? { lift: m[1], action: m[2] } : null;
}


/**
 * The staff API on the gateway's HTTP server: `GET /api/lifts` (every guard's status) and
 * `POST /api/lifts/<id>/release|disable|enable`. Every call needs a console login (core.staff);
 * the audit names the logged-in account, and whom it acted for when the body's `by` differs.
 */
export function addStaffRoutes(core: Core, staff: StaffCommands, status: () => Record<string, GuardStatus>): void {
  core.http.add("GET", "/api/lifts", (req, res) => {
    if (!core.staff.userOf(req)) return sendJson(res, 401, { ok: false, error: "login required" });
    if (!core.staff.may(req, "alerts")) return sendJson(res, 403, { ok: false, error: "the guard room's role is needed for lifts" });
    sendJson(res, 200, status());
  });
  core.http.add("POST", "/api/lifts/*", async (req, res, url) => {
    const path = parseLiftPath(url.pathname);
    if (!path || !ACTIONS.has(path.action)) return sendJson(res, 404, { ok: false, error: "not found" });
    const body = (await readJson(req, 16_384)) as Record<string, unknown> | undefined;
    if (!body) return sendJson(res, 400, { ok: false, error: "body must be JSON" });
    const user = core.staff.userOf(req);
    if (!user) return sendJson(res, 401, { ok: false, lift: path.lift, error: "login required" });
    if (!core.staff.may(req, "alerts")) return sendJson(res, 403, { ok: false, lift: path.lift, error: "the guard room's role is needed for lifts" });
    const header = req.headers["x-linli-user"];
    const claimed = typeof body.by === "string" ? body.by : typeof header === "string" ? header : undefined;
    const by = claimed && claimed !== user ? `${user} (for ${claimed})` : user;
    const parsed = parseStaffCommand({ ...body, action: path.action, by });
    if (!parsed.ok) return sendJson(res, 400, { ok: false, lift: path.lift, error: parsed.error });
    const response = await staff.apply(path.lift, parsed.command, "http");
    sendJson(res, response.ok ? 200 : response.error?.startsWith("unknown lift") ? 404 : 409, response);
  });
}
