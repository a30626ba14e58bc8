import { z } from "zod";
import { id } from "../../devices/common.ts";
import type { Core } from "../core.ts";
import { readJson, sendJson } from "../http/routes.ts";
import type { PortCommander } from "./commander.ts";
import type { ChargerMetrics } from "./metrics.ts";

const PATH = /^\/api\/chargers\/([^/]+)\/ports\/([^/]+)\/(off|on)$/;
const port = z.coerce.number().int().min(1).max(64);
const body = z.strictObject({ reason: z.string().min(1).max(200).optional() });


/**
 * `POST /api/chargers/<id>/ports/<n>/off|on`, optionally `{"reason":"..."}`: staff cut or restore a
 * port from the console. A console login is required (401 otherwise) and names the command in the
 * audit. It answers 202 once the command is sent: the ack, retries and any give-up alert follow.
 */
export function addChargerRoutes(core: Core, commander: PortCommander, metrics: ChargerMetrics): void {
  core.http.add("POST", "/api/chargers/*", async (req, res, url) => {
    const refuse = (status: number, reason: string, error: string) => {
      metrics.refused.inc({ reason });
      sendJson(res, status, { ok: false, error });
    };
    const m = PATH.exec(url.pathname);
    if (!m) return refuse(404, "not_found", "not found: POST /api/chargers/<id>/ports/<n>/off|on");
    const user = core.staff.userOf(req);
    if (!user) return refuse(401, "login", "login required");
    if (!core.staff.may(req, "alerts")) return refuse(403, "role", "the guard room's role is needed for charger ports");
    const charger = id.safeParse(m[1]);
    if (!charger.success) return refuse(400, "bad_charger", "charger id: 1-64 of letters, digits and . _ : -");
    const n = port.safeParse(m[2]);
    if (!n.success) return refuse(400, "bad_port", "port: an integer 1-64");
    const parsed = body.safeParse(await readJson(req, 4_096));
    if (!parsed.success) return refuse(400, "bad_body", 'body: JSON, optionally {"reason": "..."}');
    const cmd = m[3] === "off" ? "port_off" : "port_on";
    const seq = await commander.send(charger.data, n.data, cmd, parsed.data.reason ?? "staff", { trigger: "staff", by: user });
    sendJson(res, 202, { ok: true, charger: charger.data, port: n.data, cmd, seq });
  });
}
