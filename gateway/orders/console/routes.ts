import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Alert } from "../../alerts/types.ts";
import { langCookies, langOf, sendHtml } from "../../console/html.ts";
import { navFor } from "../../console/nav.ts";
import type { Core } from "../../core.ts";
import { readJson, sendJson } from "../../http/routes.ts";
import type { Lang } from "../../i18n.ts";
import { landingOf, may, type Permission } from "../../staff/roles.ts";
import type { OrdersConfig } from "../config.ts";
import { orderFromAlert } from "../from-alert.ts";
import { orderSubject, storedEvidence } from "../held.ts";
import { orderPdf } from "../pdf.ts";
import type { OrderStore } from "../store.ts";
import { CLOSE_REASONS, ORDER_TYPES, type CloseReason, type OrderType, type WorkOrder } from "../types.ts";
import { canSee, OrderError, type Actor, type OrderWorkflow } from "../workflow.ts";
import { forbiddenPage, ordersJs, ordersLabel, ordersPage } from "./page.ts";
import { readPhoto, UploadError } from "./upload.ts";
import { loadSharp } from "../../sharp.ts";

const PNG_DATA_URL = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/;
/** a drawn signature is a few kB; far more is not a signature */
const MAX_SIGNATURE_CHARS = 400_000;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor) => void | Promise<void>;

/**
 * The work order pages and their API, behind the console's sign-in: every route asks the role on
 * the server (a guard gets nothing; a technician only their own orders), every change is JSON or a
 * multipart upload with the console's own header (neither can come from another site's form) and
 * names the order's version (a replay is refused).
 */
export class OrdersConsole {
  constructor(
    private readonly core: Core,
    private readonly cfg: OrdersConfig,
    private readonly store: OrderStore,
    private readonly workflow: OrderWorkflow,
    /** unresolved alerts not yet turned into orders, newest first */
    private readonly openAlerts: () => Alert[],
  ) {}

  start(): void {
    const page = (view: "list" | "detail"): Handler => (req, res, url, actor) => {
      const id = view === "detail" ? decodeURIComponent(url.pathname.slice("/orders/".length)) : undefined;
      const lang = this.#lang(req, url);
      // #route has seen a signed-in account, so there is always a navigation to draw
      const nav = navFor(this.core, req, lang, url) ?? "";
      sendHtml(res, 200, ordersPage(lang, nav, this.core.config.alerts.timeZone, actor, view, id), langCookies(url));
    };
    this.core.pages.add({ key: "orders", path: "/orders", label: ordersLabel, permission: "orders.own", order: 50 });
    this.#route("GET", "/orders", "orders.own", page("list"), true);
    this.#route("GET", "/orders/*", "orders.own", page("detail"), true);
    this.#route("GET", "/orders.js", "orders.own", (_req, res) => {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
      res.end(ordersJs);
    });
    this.#route("GET", "/api/orders", "orders.own", (_req, res, _url, actor) => {
      const orders = this.#visible(actor);
      sendJson(res, 200, { orders: orders.map(withoutDrawings), names: this.#names(orders.map((o) => o.assignee)) });
    });
    this.#route("GET", "/api/orders/one", "orders.own", (_req, res, url, actor) => {
      const o = this.#seen(url.searchParams.get("id"), actor);
      const history = this.store.history(o.id).map((r) => ({ ...r, data: { ...r.data, signature: undefined } }));
      sendJson(res, 200, { order: o, history, names: this.#names([o.assignee, o.createdBy, ...history.map((r) => r.by)]) });
    });
    this.#route("GET", "/api/orders/alerts", "orders.all", (_req, res) => sendJson(res, 200, { alerts: this.openAlerts().filter((a) => !this.store.byAlert(a.id)) }));
    this.#route("GET", "/api/orders/staff", "orders.all", (_req, res) => sendJson(res, 200, { staff: this.core.staff.members().filter((m) => may(m.role, "orders.own")) }));
    this.#route("POST", "/api/orders/action", "orders.own", (req, res, url, actor) => this.#action(req, res, url, actor));
    this.#route("POST", "/api/orders/photo", "orders.own", (req, res, url, actor) => this.#photo(req, res, url, actor));
    this.#route("GET", "/api/orders/evidence", "orders.own", (_req, res, url, actor) => this.#evidence(res, url, actor));
    this.#route("GET", "/api/orders/pdf", "orders.own", (req, res, url, actor) => this.#pdf(req, res, url, actor));
  }

  #lang(req: IncomingMessage, url: URL): Lang {
    return langOf(req, url, this.core.config.alerts.console.language);
  }

  /** Adds a route that needs a login with `permission`; a page sends the signed-out browser to the login form. */
  #route(method: string, path: string, permission: Permission, handler: Handler, isPage = false): void {
    this.core.http.add(method, path, async (req, res, url) => {
      const { staff } = this.core;
      const user = staff.userOf(req);
      const role = staff.roleOf(req);
      if (!user || !role) {
        if (!isPage) return sendJson(res, 401, { error: "login required" });
        res.writeHead(303, { location: `/login?next=${encodeURIComponent(url.pathname)}` });
        return void res.end();
      }
      if (!may(role, permission)) {
        if (isPage) return sendHtml(res, 403, forbiddenPage(this.#lang(req, url), landingOf(role)));
        return sendJson(res, 403, { error: `the ${role} role may not do this` });
      }
      try {
        await handler(req, res, url, { user, role, displayName: staff.displayNameOf(req) ?? user });
      } catch (err) {
        if (err instanceof OrderError || err instanceof UploadError) return sendJson(res, err.status, { error: err.message });
        throw err;
      }
    });
  }

  /** The names of these people only: a technician is not handed the staff list. */
  #names(users: Array<string | undefined>): Record<string, string> {
    const people = new Set(users);
    return Object.fromEntries(this.core.staff.members().filter((m) => people.has(m.user)).map((m) => [m.user, m.displayName]));
  }

  #visible(actor: Actor): WorkOrder[] {
    return actor.role !== "system" && may(actor.role, "orders.all") ? this.store.list() : this.store.list(actor.user);
  }

  #seen(id: string | null, actor: Actor): WorkOrder {
    const o = id ? this.store.get(id) : undefined;
    if (!o || !canSee(o, actor)) throw new OrderError(404, "no such work order");
    return o;
  }

  async #action(req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return sendJson(res, 415, { error: "expected application/json" });
    const b = (await readJson(req, MAX_SIGNATURE_CHARS + 16_384)) as Record<string, unknown> | undefined;
    if (!b || typeof b.action !== "string") return sendJson(res, 400, { error: "bad JSON" });
    const w = this.workflow;
    const text = (k: string, max = 1_000) => (typeof b[k] === "string" ? (b[k] as string).slice(0, max).trim() : "");
    const version = typeof b.version === "number" ? b.version : -1;
    const id = text("id", 64);
    let order: WorkOrder;
    switch (b.action) {
      case "create": {
        const type = b.type as OrderType;
        if (!ORDER_TYPES.includes(type)) throw new OrderError(400, `type: one of ${ORDER_TYPES.join(", ")}`);
        const device = text("device", 64);
        if (!device || !text("description")) throw new OrderError(400, "place and description are needed");
        const building = text("building", 16);
        order = w.create({ type, place: { site: this.core.config.site, device, ...(building ? { building } : {}) }, description: text("description"), ...(text("assignee", 64) ? { assignee: this.#assignee(text("assignee", 64)) } : {}) }, actor);
        break;
      }
      case "from-alert": {
        const alert = this.openAlerts().find((a) => a.id === text("alertId", 64));
        if (!alert) throw new OrderError(404, "no such open alert");
        order = w.create(orderFromAlert(alert, this.#lang(req, url)), actor);
        break;
      }
      case "assign":
        order = w.assign(id, version, this.#assignee(text("assignee", 64)), actor);
        break;
      case "accept":
        order = w.accept(id, version, actor);
        break;
      case "start":
        order = w.start(id, version, actor);
        break;
      case "done":
        order = w.done(id, version, await signature(b.signature), text("note"), actor);
        break;
      case "sign-off":
        order = w.signOff(id, version, await signature(b.signature), text("note"), actor);
        break;
      case "close": {
        const reason = b.reason as CloseReason;
        if (!CLOSE_REASONS.includes(reason)) throw new OrderError(400, `reason: one of ${CLOSE_REASONS.join(", ")}`);
        order = w.close(id, version, reason, text("note"), actor);
        break;
      }
      case "hold": {
        // the workflow refuses first (role, version, reason); then the evidence store holds the files
        const kept = storedEvidence(this.#seen(id, actor), this.core.evidence);
        order = w.hold(id, version, text("note", 500), kept, actor);
        const { holds } = this.core.evidence;
        if (holds.isHeld(orderSubject(id))) holds.add(orderSubject(id), kept, actor.user);
        else holds.hold(orderSubject(id), kept, actor.user, text("note", 500));
        break;
      }
      case "release-hold": {
        // the workflow refuses first (role, version, reason); then the evidence falls back under retention
        order = w.release(id, version, text("note", 500), actor);
        const { holds } = this.core.evidence;
        if (holds.isHeld(orderSubject(id))) holds.release(orderSubject(id), actor.user, text("note", 500));
        this.core.log.warn({ order: id, by: actor.user, reason: text("note", 500) }, "work order's legal hold released");
        break;
      }
      default:
        throw new OrderError(400, "unknown action");
    }
    sendJson(res, 200, { order: withoutDrawings(order) });
  }

  #assignee(user: string): string {
    const m = this.core.staff.members().find((s) => s.user === user);
    if (!m || !may(m.role, "orders.own")) throw new OrderError(400, "assignee: an account that works on orders");
    return m.user;
  }

  async #photo(req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
    // a form on another site could post multipart, but not with this header (it would need a CORS preflight)
    if (req.headers["x-linli-console"] !== "1") return sendJson(res, 403, { error: "missing the console's header" });
    const o = this.#seen(url.searchParams.get("id"), actor);
    const version = Number(url.searchParams.get("version"));
    if (o.version !== version) throw new OrderError(409, "the work order changed since this page loaded (or the request was replayed): reload");
    const bytes = await readPhoto(req, this.cfg.maxPhotoBytes);
    const rec = this.core.evidence.put(bytes, { source: `upload:${actor.user}`, subject: o.id });
    if (rec.mime !== "image/jpeg" && rec.mime !== "image/png") throw new OrderError(415, "a JPEG or PNG photo");
    if (o.legalHold) this.core.evidence.holds.add(orderSubject(o.id), [{ id: rec.id, sha256: rec.sha256 }], actor.user);
    sendJson(res, 200, { order: withoutDrawings(this.workflow.attachPhoto(o.id, version, { evidenceId: rec.id, sha256: rec.sha256, mime: rec.mime }, actor)) });
  }

  /** A photo or alert evidence of an order the account may see, and nothing else from the store. */
  #evidence(res: ServerResponse, url: URL, actor: Actor): void {
    const o = this.#seen(url.searchParams.get("id"), actor);
    const evidenceId = url.searchParams.get("evidence") ?? "";
    const belongs = o.photos.some((p) => p.evidenceId === evidenceId) || o.evidence.some((e) => e.id === evidenceId);
    const rec = belongs ? this.core.evidence.get(evidenceId) : undefined;
    if (!rec) throw new OrderError(404, "no such picture");
    res.writeHead(200, { "content-type": rec.mime, "content-length": rec.size, "cache-control": "private, max-age=86400", "x-content-type-options": "nosniff", "x-sha256": rec.sha256 });
    createReadStream(this.core.evidence.path(rec)).on("error", () => res.destroy()).pipe(res);
  }

  async #pdf(req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
    const o = this.#seen(url.searchParams.get("id"), actor);
    const names = new Map(this.core.staff.members().map((m) => [m.user, m.displayName]));
    const pdf = await orderPdf(o, this.store.history(o.id), this.core.evidence, (u) => names.get(u) ?? u, this.#lang(req, url), this.core.config.alerts.timeZone);
    res.writeHead(200, { "content-type": "application/pdf", "content-length": pdf.length, "content-disposition": `attachment; filename="${o.id}.pdf"`, "cache-control": "no-store" });
    res.end(pdf);
  }
}

/** The base64 of a canvas's PNG data URL, refused when nothing was drawn on it (every pixel transparent). */
async function signature(value: unknown): Promise<string> {
  const m = typeof value === "string" && value.length <= MAX_SIGNATURE_CHARS ? PNG_DATA_URL.exec(value) : null;
  if (!m?.[1]) throw new OrderError(400, "a drawn signature is needed");
  const sharp = await loadSharp();
  const stats = await sharp(Buffer.from(m[1], "base64"))
    .stats()
    .catch(() => undefined);
  const alpha = stats?.channels[3];
  if (!stats || (alpha ? alpha.max === 0 : stats.isOpaque && stats.channels.every((c) => c.min === c.max))) throw new OrderError(400, "a drawn signature is needed (the pad is empty)");
  return m[1];
}

/** Lists leave the signature drawings out (the detail view and the PDF have them). */
function withoutDrawings(o: WorkOrder): WorkOrder {
  return { ...o, signatures: o.signatures.map((s) => ({ ...s, png: "" })) };
}
