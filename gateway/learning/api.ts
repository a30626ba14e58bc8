import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { langOf } from "../console/html.ts";
import type { Core } from "../core.ts";
import { readJson, sendJson } from "../http/routes.ts";
import type { Texts } from "../i18n.ts";
import type { FrameCollector } from "./collector.ts";
import type { LearningConfig } from "./config.ts";
import { labelsSchema, type CollectedFrame, type FrameStore } from "./store.ts";

const FRAME_PATH = /^\/api\/learning\/frames\/(lf-[0-9a-f]{20})(\/image|\/labels)?$/;

const queueSchema = z.object({
  order: z.enum(["newest", "uncertain"]).default("newest"),
  state: z.enum(["unlabelled", "labelled", "all"]).default("unlabelled"),
  lift: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const markSchema = z.strictObject({ lift: z.string().min(1).max(100) });

/** A frame as the labelling page gets it: without the evidence store's ids, with where its picture is. */
export function frameJson(f: CollectedFrame) {
  const { evidenceId: _evidence, sha256: _sha, createdAt: _created, ...shown } = f;
  return { ...shown, imageUrl: `/api/learning/frames/${f.id}/image` };
}


const heldFrame: Texts = {
  zh: "此画面已被法律保全（证据保全），不能删除；须由管理员先解除保全",
  en: "This frame is under legal hold and cannot be deleted; an administrator must release the hold first",
};

const problems = (e: z.ZodError) => e.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");

/**
 * The labelling API: the queue of collected frames, a frame and its picture, labels, marking a
 * lift's current frame, and (administrators only) deleting a frame. Frames of residents are
 * personal data: nothing here answers without a console login.
 */
export function addLearningApi(core: Core, cfg: LearningConfig, store: FrameStore, collector: FrameCollector): void {
  const signedIn = (req: IncomingMessage, res: ServerResponse): string | undefined => {
    const user = core.staff.userOf(req);
    if (!user) return void sendJson(res, 401, { ok: false, error: "login required" });
    // frames of residents: the guard room's, not every account's
    if (!core.staff.may(req, "alerts")) return void sendJson(res, 403, { ok: false, error: "the guard room's role is needed for labelling" });
    return user;
  };

  core.http.add("GET", "/api/learning/queue", (req, res, url) => {
    if (!signedIn(req, res)) return;
    const q = queueSchema.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) return sendJson(res, 400, { ok: false, error: problems(q.error) });
    const now = Date.now();
    const p = store.progress(now);
    const toGoToday = Math.min(p.unlabelled, Math.max(0, cfg.dailyGoal - p.labelledToday));
    sendJson(res, 200, { frames: store.queue(q.data).map(frameJson), progress: { ...p, toGoToday }, lifts: store.lifts() });
  });

  core.http.add("GET", "/api/learning/frames/*", (req, res, url) => {
    if (!signedIn(req, res)) return;
    const m = FRAME_PATH.exec(url.pathname);
    const frame = m && m[2] !== "/labels" ? store.get(m[1]!) : undefined;
    if (!m || !frame) return sendJson(res, 404, { ok: false, error: "no such frame (or past its retention)" });
    if (m[2] === undefined) return sendJson(res, 200, frameJson(frame));
    const record = core.evidence.get(frame.evidenceId);
    if (!record) return sendJson(res, 404, { ok: false, error: "the frame's picture is past its retention" });
    res.writeHead(200, { "content-type": record.mime, "content-length": record.size, "cache-control": "private, no-store", "x-content-type-options": "nosniff" });
    createReadStream(core.evidence.path(record)).on("error", () => res.destroy()).pipe(res);
  });

  core.http.add("PUT", "/api/learning/frames/*", async (req, res, url) => {
    const user = signedIn(req, res);
    if (!user) return;
    const m = FRAME_PATH.exec(url.pathname);
    if (!m || m[2] !== "/labels" || !store.get(m[1]!)) return sendJson(res, 404, { ok: false, error: "no such frame" });
    const body = z.strictObject({ boxes: labelsSchema }).safeParse(await readJson(req, 65_536));
    if (!body.success) return sendJson(res, 400, { ok: false, error: problems(body.error) });
    const frame = store.setLabels(m[1]!, body.data.boxes, user, "staff", Date.now());
    if (!frame) return sendJson(res, 404, { ok: false, error: "no such frame" });
    core.log.info({ frame: frame.id, lift: frame.lift, boxes: body.data.boxes.length, by: user }, "lift frame labelled");
    sendJson(res, 200, { ok: true, frame: frameJson(frame) });
  });

  core.http.add("DELETE", "/api/learning/frames/*", (req, res, url) => {
    const user = signedIn(req, res);
    if (!user) return;
    if (!core.staff.isAdministrator(req)) return sendJson(res, 403, { ok: false, error: "an administrator's login is needed to delete frames" });
    const m = FRAME_PATH.exec(url.pathname);
    const found = m && m[2] === undefined ? store.get(m[1]!) : undefined;
    if (!found) return sendJson(res, 404, { ok: false, error: "no such frame" });
    // a legal hold forbids destroying the picture, so the frame stays whole and the administrator is told why
    if (core.evidence.holds.holdsEvidence(found.evidenceId)) {
      core.log.warn({ frame: found.id, lift: found.lift, by: user }, "deleting a lift frame under legal hold refused");
      return sendJson(res, 409, { ok: false, error: heldFrame[langOf(req, url, core.config.alerts.console.language)] });
    }
    const frame = store.remove(found.id)!;
    // the picture goes too, even where an alert refers to it: erasing it is the point
    core.evidence.remove(frame.evidenceId);
    core.log.warn({ frame: frame.id, lift: frame.lift, by: user }, "lift frame deleted by an administrator");
    sendJson(res, 200, { ok: true });
  });

  core.http.add("POST", "/api/learning/mark", async (req, res) => {
    const user = signedIn(req, res);
    if (!user) return;
    const body = markSchema.safeParse(await readJson(req, 65_536));
    if (!body.success) return sendJson(res, 400, { ok: false, error: problems(body.error) });
    const frame = await collector.mark(body.data.lift);
    if (!frame) return sendJson(res, 404, { ok: false, error: `no frame from lift ${body.data.lift} to mark (or today's cap of marked frames is reached)` });
    core.log.info({ frame: frame.id, lift: frame.lift, by: user }, "lift frame marked for labelling");
    sendJson(res, 200, { ok: true, frame: frameJson(frame) });
  });
}
