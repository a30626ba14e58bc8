import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import type { Core } from "../core.ts";
import { currentModel, modelsOf, readActiveModel } from "../detector/active-model.ts";
import { listModelIds } from "../detector/manifest.ts";
import { promoteModel, readPromotions, rollbackModel } from "../detector/promotion.ts";
import { readJson, sendJson } from "../http/routes.ts";
import { exportDataset } from "./export.ts";
import type { FrameStore } from "./store.ts";

/** The held-back share a console promotion judges on: the same split `linli dataset export` makes by default. */
export const HELDOUT_SHARE = 0.25;

const promoteSchema = z.strictObject({ model: z.string().min(1).max(200) });

/**
 * The console's models section (administrators): which model judges, the promotions kept, and
 * promote and rollback. A promotion judges on the site's own held-back labels, exported from the
 * frame store at that moment; the detector picks the new model up from its active-model record.
 */
export function addModelsApi(core: Core, store: FrameStore): void {
  const detector = core.config.detector;
  const modelsDir = path.resolve(detector.modelsDir);
  const administrator = (req: IncomingMessage, res: ServerResponse): string | undefined => {
    const user = core.staff.userOf(req);
    if (!user) return void sendJson(res, 401, { ok: false, error: "login required" });
    if (!core.staff.isAdministrator(req)) return void sendJson(res, 403, { ok: false, error: "an administrator's login is needed for models" });
    return user;
  };

  core.http.add("GET", "/api/learning/models", async (req, res) => {
    if (!administrator(req, res)) return;
    const record = await readActiveModel(modelsDir);
    sendJson(res, 200, {
      active: await currentModel(detector),
      previous: record?.previous ?? [],
      shadow: modelsOf(record, detector).shadow ?? null,
      available: await listModelIds([modelsDir]),
      promotions: await readPromotions(modelsDir, 20),
    });
  });

  core.http.add("POST", "/api/learning/models/promote", async (req, res) => {
    const user = administrator(req, res);
    if (!user) return;
    const body = await readJson(req, 4_096);
    if (body === undefined) return sendJson(res, 400, { ok: false, error: "body must be JSON" });
    const parsed = promoteSchema.safeParse(body);
    if (!parsed.success) return sendJson(res, 400, { ok: false, error: "body: { model: <id> }" });
    const dir = await mkdtemp(path.join(os.tmpdir(), "linli-heldout-"));
    try {
      await exportDataset(store, core.evidence, { out: dir, heldoutShare: HELDOUT_SHARE, heldoutLifts: [] });
      const heldout = path.join(dir, "heldout");
      const result = await promoteModel({ candidate: parsed.data.model, heldoutImages: path.join(heldout, "images"), heldoutLabels: path.join(heldout, "labels"), config: detector, by: user });
      core.log.warn({ candidate: parsed.data.model, accepted: result.accepted, reasons: result.reasons, by: user }, "model promotion from the console");
      sendJson(res, 200, { ok: true, result });
    } catch (err) {
      sendJson(res, 409, { ok: false, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  core.http.add("POST", "/api/learning/models/rollback", async (req, res) => {
    const user = administrator(req, res);
    if (!user) return;
    try {
      const { from, to } = await rollbackModel({ config: detector, by: user });
      core.log.warn({ from, to, by: user }, "model rolled back from the console");
      sendJson(res, 200, { ok: true, from, to });
    } catch (err) {
      sendJson(res, 409, { ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
