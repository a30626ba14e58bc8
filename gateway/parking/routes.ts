import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { PointContext } from "../../devices/types.ts";
import { langCookies, langOf, sendHtml } from "../console/html.ts";
import { loginPage } from "../console/login-page.ts";
import { navFor } from "../console/nav.ts";
import type { Core } from "../core.ts";
import { readJson, sendJson } from "../http/routes.ts";
import type { ParkingConfig } from "./config.ts";
import type { CarParks } from "./occupancy.ts";
import { parkingPage } from "./page.ts";
import { parkingJs } from "./script.ts";
import { PLATE_LISTS, type ParkingStore } from "./store.ts";
import { ui } from "./strings.ts";
import { parkingCss } from "./style.ts";

const HOUR = 3_600_000;

const countBody = z.strictObject({ carPark: z.string().min(1).max(64), cars: z.number().int().min(0).max(100_000), note: z.string().max(200).default("") });
const plateBody = z.strictObject({
  /** as staff type it; kept only as privacy.ids keeps plates */
  plate: z.string().trim().min(2).max(16),
  list: z.enum(PLATE_LISTS),
  label: z.string().trim().max(64).default(""),
  /** visitors: hours the pass lasts (parking.visitorPassHours when absent) */
  validHours: z.number().positive().max(24 * 366).optional(),
});
const removeBody = z.strictObject({ plate: z.string().min(1).max(64) });

/**
 * The parking page and its API behind the console's sign-in. Every signed-in role reads the
 * counts and the stays; the guard room (`alerts`) enters a count; only an administrator sees and
 * changes the plate lists, since they say which cars belong to which flat.
 */
export function addParkingRoutes(core: Core, cfg: ParkingConfig, parks: CarParks, store: ParkingStore, ids: PointContext, changed: (carPark: string, cars: number, at: number) => void): void {
  const { site } = core.config;
  const admin = (req: IncomingMessage) => core.staff.isAdministrator(req);
  core.pages.add({ key: "parking", path: "/parking", label: ui.parking, order: 40 });
  core.http.add("GET", "/parking", (req, res, url) => {
    const lang = langOf(req, url, core.config.alerts.console.language);
    const nav = navFor(core, req, lang, url);
    const html = nav ? parkingPage(lang, nav, core.config.alerts.timeZone, { admin: admin(req), count: core.staff.may(req, "alerts") }) : loginPage(lang, undefined, "/parking");
    sendHtml(res, 200, html, langCookies(url));
  });
  core.http.add("GET", "/parking.js", (req, res) => asset(core, req, res, "text/javascript; charset=utf-8", parkingJs));
  core.http.add("GET", "/parking.css", (req, res) => asset(core, req, res, "text/css; charset=utf-8", parkingCss));

  core.http.add("GET", "/api/parking", (req, res) => {
    if (!core.staff.userOf(req)) return sendJson(res, 401, { error: "login required" });
    const now = Date.now();
    sendJson(res, 200, {
      site,
      now,
      visitorMaxStayHours: cfg.visitorMaxStayHours,
      neverLeftAfterHours: cfg.neverLeftAfterHours,
      carParks: parks.view(),
      overstaying: parks.overstaying(now),
      neverLeft: parks.neverLeft(now),
      corrections: store.corrections(10),
      ...(admin(req) ? { plates: store.plates() } : {}),
    });
  });

  core.http.add("POST", "/api/parking/count", async (req, res) => {
    const user = core.staff.userOf(req);
    if (!user) return sendJson(res, 401, { ok: false, error: "login required" });
    if (!core.staff.may(req, "alerts")) return sendJson(res, 403, { ok: false, error: "the guard room's role is needed to enter a count" });
    const body = countBody.safeParse(await readJson(req, 4_096));
    if (!body.success) return sendJson(res, 400, { ok: false, error: 'body: {"carPark": "<id>", "cars": <integer ≥ 0>, "note": "..."}' });
    const park = parks.carPark(body.data.carPark);
    if (!park) return sendJson(res, 404, { ok: false, error: `no car park ${body.data.carPark}` });
    const at = Date.now();
    const previous = parks.correct(park, body.data.cars, core.staff.displayNameOf(req) ?? user, body.data.note, at);
    changed(park.id, body.data.cars, at);
    core.log.info({ carPark: park.id, cars: body.data.cars, previous, by: user }, "parking: count corrected");
    sendJson(res, 200, { ok: true, carPark: park.id, cars: body.data.cars, previous });
  });

  core.http.add("POST", "/api/parking/plates", async (req, res) => {
    const user = core.staff.userOf(req);
    if (!user) return sendJson(res, 401, { ok: false, error: "login required" });
    if (!admin(req)) return sendJson(res, 403, { ok: false, error: "only an administrator manages the plate lists" });
    const body = plateBody.safeParse(await readJson(req, 4_096));
    if (!body.success) return sendJson(res, 400, { ok: false, error: 'body: {"plate": "沪A12345", "list": "resident|visitor|deny", "label": "...", "validHours": 24}' });
    const now = Date.now();
    const { list, label, validHours } = body.data;
    // gate recognisers send plates in capitals without spaces; typed ones are made to match
    const plate = ids.protectId(body.data.plate.replace(/\s+/g, "").toUpperCase());
    const expiresAt = list === "visitor" ? now + (validHours ?? cfg.visitorPassHours) * HOUR : null;
    store.putPlate({ plate, list, label, expiresAt, addedBy: core.staff.displayNameOf(req) ?? user, addedAt: now });
    core.log.info({ plate, list, by: user }, "parking: plate listed");
    sendJson(res, 200, { ok: true, plate, list, expiresAt });
  });

  core.http.add("POST", "/api/parking/plates/remove", async (req, res) => {
    const user = core.staff.userOf(req);
    if (!user) return sendJson(res, 401, { ok: false, error: "login required" });
    if (!admin(req)) return sendJson(res, 403, { ok: false, error: "only an administrator manages the plate lists" });
    const body = removeBody.safeParse(await readJson(req, 4_096));
    if (!body.success) return sendJson(res, 400, { ok: false, error: 'body: {"plate": "<the plate as listed>"}' });
    if (!store.removePlate(body.data.plate)) return sendJson(res, 404, { ok: false, error: "not listed" });
    core.log.info({ plate: body.data.plate, by: user }, "parking: plate removed from its list");
    sendJson(res, 200, { ok: true });
  });
}

function asset(core: Core, req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  if (!core.staff.userOf(req)) return sendJson(res, 401, { error: "login required" });
  res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}
