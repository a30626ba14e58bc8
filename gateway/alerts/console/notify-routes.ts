import type { IncomingMessage, ServerResponse } from "node:http";
import type { Session } from "../../console/auth.ts";
import type { StaffConsole } from "../../console/staff-console.ts";
import type { Core } from "../../core.ts";
import { readJson, sendJson } from "../../http/routes.ts";
import { MuteError, type DeviceMutes } from "../mutes.ts";
import type { ChannelHealth } from "../../channels/types.ts";

/** Who did it, as the audit log names them: the account and, when it differs, the name it shows. */
function who(s: Session): string {
  return s.displayName && s.displayName !== s.user ? `${s.displayName} (${s.user})` : s.user;
}

/**
 * The console's notification API, behind the same login as the alerts (permission `alerts`):
 * `GET /api/alerts/channels` (each webhook's sent, digested, queued, failing, last error),
 * `GET /api/alerts/mutes`, and `POST /api/alerts/mute` `{device, minutes, note}` /
 * `POST /api/alerts/unmute` `{device}`, JSON only (so a cross-site form cannot post).
 */
export function addNotifyRoutes(core: Core, login: StaffConsole, mutes: DeviceMutes, health: () => ChannelHealth[]): void {
  core.http.add("GET", "/api/alerts/channels", (req, res) => login.authed(req, res, () => sendJson(res, 200, { channels: health() })));
  core.http.add("GET", "/api/alerts/mutes", (req, res) => login.authed(req, res, () => sendJson(res, 200, { mutes: mutes.list() })));
  core.http.add("POST", "/api/alerts/mute", (req, res) =>
    login.authed(req, res, (s) =>
      withBody(req, res, async (body) => {
        const m = await mutes.mute(String(body.device ?? ""), Number(body.minutes), who(s), typeof body.note === "string" ? body.note.trim() : "");
        sendJson(res, 200, { mute: m });
      }),
    ),
  );
  core.http.add("POST", "/api/alerts/unmute", (req, res) =>
    login.authed(req, res, (s) =>
      withBody(req, res, async (body) => {
        const m = await mutes.unmute(String(body.device ?? ""), who(s));
        if (!m) return sendJson(res, 404, { error: `${String(body.device)} is not muted` });
        sendJson(res, 200, { unmuted: m });
      }),
    ),
  );
}

async function withBody(req: IncomingMessage, res: ServerResponse, then: (body: Record<string, unknown>) => Promise<void>): Promise<void> {
  if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return sendJson(res, 415, { error: "expected application/json" });
  const body = await readJson(req, 16_384);
  if (typeof body !== "object" || body === null || Array.isArray(body)) return sendJson(res, 400, { error: "body must be a JSON object" });
  try {
    await then(body as Record<string, unknown>);
  } catch (err) {
    if (err instanceof MuteError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}
