import type { IncomingMessage, ServerResponse } from "node:http";
import type { DeviceKind } from "../../devices/types.ts";
import { langCookies, langOf, sendHtml } from "../console/html.ts";
import { loginPage } from "../console/login-page.ts";
import { navFor } from "../console/nav.ts";
import type { Core } from "../core.ts";
import { sendJson } from "../http/routes.ts";
import type { DevicesPageConfig } from "./config.ts";
import { boardLink } from "./grafana-link.ts";
import { devicesPage } from "./page.ts";
import type { DeviceRoster, DeviceState } from "./roster.ts";
import { devicesJs } from "./script.ts";
import { ui } from "./strings.ts";
import { devicesCss } from "./style.ts";

/** What staff must look at first: the offline devices, then those not heard yet. */
const STATE_ORDER: Record<DeviceState, number> = { offline: 0, unknown: 1, online: 2 };

/**
 * The devices page behind the console's sign-in: `GET /devices` (the sign-in form when signed out,
 * returning here), its script and style, and `GET /api/devices`, the roster as the page shows it;
 * and its place in the console's navigation.
 * Any signed-in role may read it: a technician needs to know what is offline as much as a guard.
 */
export function addDevicesPage(core: Core, cfg: DevicesPageConfig, roster: DeviceRoster, kinds: readonly DeviceKind[]): void {
  const { site } = core.config;
  const titles = new Map(kinds.map((k) => [k.kind, k.title]));
  core.pages.add({ key: "devices", path: "/devices", label: ui.devices, order: 20 });
  core.http.add("GET", "/devices", (req, res, url) => {
    const lang = langOf(req, url, core.config.alerts.console.language);
    const nav = navFor(core, req, lang, url);
    const html = nav ? devicesPage(lang, nav, core.config.alerts.timeZone, kinds) : loginPage(lang, undefined, "/devices");
    sendHtml(res, 200, html, langCookies(url));
  });
  core.http.add("GET", "/devices.js", (req, res) => asset(core, req, res, "text/javascript; charset=utf-8", devicesJs));
  core.http.add("GET", "/devices.css", (req, res) => asset(core, req, res, "text/css; charset=utf-8", devicesCss));
  core.http.add("GET", "/api/devices", (req, res) => {
    if (!core.staff.userOf(req)) return sendJson(res, 401, { error: "login required" });
    const now = Date.now();
    const devices = roster
      .view(now)
      .map((d) => {
        const place = cfg.places[d.id];
        return {
          ...d,
          title: titles.get(d.kind) ?? d.kind,
          place: { building: place?.building ?? d.building ?? null, label: place?.label ?? null },
          grafana: boardLink(cfg, site, d.kind) ?? null,
        };
      })
      .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id, undefined, { numeric: true }));
    sendJson(res, 200, { site, now, registry: core.config.security.registry !== undefined, devices });
  });
}

function asset(core: Core, req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  if (!core.staff.userOf(req)) return sendJson(res, 401, { error: "login required" });
  res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}
