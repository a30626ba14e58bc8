import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { parse, stringify } from "yaml";
import { readActiveModel, writeActiveModel, type ActiveModelRecord } from "../gateway/detector/active-model.ts";
import { registerDetectorCommands } from "../gateway/detector/cli.ts";
import { detectorConfigSchema, type DetectorConfig } from "../gateway/detector/config.ts";
import { captureTime } from "../gateway/detector/labels/capture-time.ts";
import { promoteModel, readPromotions, rollbackModel, setShadowModel } from "../gateway/detector/promotion.ts";
import { promotionsFile } from "../gateway/detector/promotion-log.ts";
import { linli } from "./services/cli.ts";
import { BICYCLE, BICYCLE_BOX, liftCctv, repoRoot, sharedImages, sharedModels, tempDir } from "./detector-fixtures.ts";

/** The frames `models train` holds back from lift-cctv-89: captured from 1607035104 on (12 with an e-bike, 1 without). */
const HELD_BACK_SINCE = 1607035104;

interface Heldout {
  dir: string;
  images: string;
  labels: string;
}

/**
 * A held-back folder in the layout `linli dataset export` writes (images/, labels/, classes.txt),
 * copied into a temp dir. `porch` adds a photo of a pedal bicycle, labelled as one: a frame without
 * an e-bike that a model counting bicycles as e-bikes flags.
 */
async function heldout(options: { ebikes?: boolean; clean?: boolean; porch?: boolean } = {}): Promise<Heldout> {
  const { ebikes = true, clean = true, porch = false } = options;
  const dir = tempDir("heldout");
  const images = path.join(dir, "images");
  const labels = path.join(dir, "labels");
  await mkdir(images);
  await mkdir(labels);
  // index 0 is lift-cctv-89's own one class, so its label files are copied as they are
  await writeFile(path.join(dir, "classes.txt"), "ebike\nbicycle\n");
  for (const name of await readdir(liftCctv.images)) {
    if ((captureTime(name) ?? 0) < HELD_BACK_SINCE) continue;
    const label = name.replace(".jpg", ".txt");
    const text = await readFile(path.join(liftCctv.labels, label), "utf8");
    if (text.trim() === "" ? !clean : !ebikes) continue;
    await copyFile(path.join(liftCctv.images, name), path.join(images, name));
    await writeFile(path.join(labels, label), text);
  }
  if (porch) {
    const { x, y, w, h } = BICYCLE_BOX;
    await copyFile(path.join(sharedImages, BICYCLE), path.join(images, "porch.jpg"));
    await writeFile(path.join(labels, "porch.txt"), `1 ${(x + w / 2) / 768} ${(y + h / 2) / 576} ${w / 768} ${h / 576}\n`);
  }
  return { dir, images, labels };
}

/**
 * A site's own manifest for one of the shared weights (same file and SHA-256), with its own e-bike
 * classes and threshold: a different model as far as promotion can tell.
 */
async function siteModel(modelsDir: string, id: string, base: string, settings: { threshold: number; ebikeClasses: string[] }): Promise<void> {
  const manifest = parse(await readFile(path.join(repoRoot, "models", `${base}.yaml`), "utf8")) as Record<string, unknown>;
  delete manifest.train;
  delete manifest.card;
  await writeFile(
    path.join(modelsDir, `${id}.yaml`),
    stringify({ ...manifest, id, title: `${id} (test)`, labels: path.join(repoRoot, "models/coco-labels.txt"), ebikeClasses: settings.ebikeClasses, thresholds: { score: settings.threshold, iou: 0.45 } }),
  );
}

const STAND_IN = ["bicycle", "motorbike"];

/** A models dir with the site models the tests compare, and a detector config whose model is the first. */
async function site(): Promise<DetectorConfig> {
  const modelsDir = tempDir("models");
  await siteModel(modelsDir, "site-fastestdet", "fastestdet-coco-352", { threshold: 0.05, ebikeClasses: STAND_IN });
  await siteModel(modelsDir, "site-fastestdet-strict", "fastestdet-coco-352", { threshold: 0.99, ebikeClasses: STAND_IN });
  await siteModel(modelsDir, "site-fastestdet-motorbike", "fastestdet-coco-352", { threshold: 0.05, ebikeClasses: ["motorbike"] });
  await siteModel(modelsDir, "site-yolox", "yolox-nano-coco-416", { threshold: 0.05, ebikeClasses: STAND_IN });
  return detectorConfigSchema.parse({ model: "site-fastestdet", modelsDir, mirror: sharedModels });
}

const initial = (model: string): ActiveModelRecord => ({ model, previous: [], changedAt: 1_700_000_000_000, by: "installer", reason: "first model" });

describe("models promote on lift-cctv-89's held-back frames", () => {
  it("refuses a model that finds fewer e-bike frames, shows and keeps the comparison, and leaves active.json as it was", async () => {
    const config = await site();
    await writeActiveModel(config.modelsDir, initial("site-fastestdet"));
    const frames = await heldout();
    const result = await promoteModel({ candidate: "site-fastestdet-strict", heldoutImages: frames.images, heldoutLabels: frames.labels, config, by: "alice", now: 1_800_000_000_000 });
    expect(result.heldout).toMatchObject({ frames: 13, ebikeFrames: 12, cleanFrames: 1 });
    expect(result.current).toMatchObject({ model: "site-fastestdet", threshold: 0.05, ebikeFrames: 12, cleanFrames: 1 });
    expect(result.candidate).toMatchObject({ model: "site-fastestdet-strict", threshold: 0.99, ebikeFramesFound: 0, cleanFramesFlagged: 0 });
    // the same weights, so the difference is the threshold alone, and it is real
    expect(result.current.ebikeFramesFound).toBeGreaterThan(0);
    expect(result.accepted).toBe(false);
    expect(result.reasons).toEqual([expect.stringMatching(/^site-fastestdet-strict finds 0 of 12 e-bike frames at threshold 0\.99, fewer than site-fastestdet \(\d+ at threshold 0\.05\)/)]);
    expect(await readActiveModel(config.modelsDir)).toEqual(initial("site-fastestdet"));
    expect(await readPromotions(config.modelsDir, 10)).toEqual([{ kind: "promotion", ...result }]);
  });

  it("refuses a model that flags more frames without an e-bike, even though it finds more", async () => {
    const config = { ...(await site()), model: "site-fastestdet-motorbike" };
    const frames = await heldout({ porch: true });
    const result = await promoteModel({ candidate: "site-fastestdet", heldoutImages: frames.images, heldoutLabels: frames.labels, config, by: "alice" });
    expect(result.heldout).toMatchObject({ frames: 14, ebikeFrames: 12, cleanFrames: 2 });
    expect(result.candidate.ebikeFramesFound).toBeGreaterThan(result.current.ebikeFramesFound);
    expect([result.current.cleanFramesFlagged, result.candidate.cleanFramesFlagged]).toEqual([0, 1]);
    expect(result.accepted).toBe(false);
    expect(result.reasons).toEqual(["site-fastestdet flags 1 of 2 frames without an e-bike, more than site-fastestdet-motorbike (0): it would hold lifts for nothing more often."]);
    expect(await readActiveModel(config.modelsDir)).toBeUndefined();
  });

  it("accepts a model as good on both counts, makes it active, and rolls back to the one before", async () => {
    const config = await site();
    await writeActiveModel(config.modelsDir, { ...initial("site-fastestdet"), shadow: "site-yolox" });
    const frames = await heldout();
    const result = await promoteModel({ candidate: "site-yolox", heldoutImages: frames.images, heldoutLabels: frames.labels, config, by: "alice", now: 1_800_000_000_000 });
    expect(result.accepted).toBe(true);
    expect(result.candidate.ebikeFramesFound).toBe(result.current.ebikeFramesFound);
    expect(result.candidate.cleanFramesFlagged).toBe(result.current.cleanFramesFlagged);
    expect(result.candidate.ap50).toBeGreaterThan(result.current.ap50);
    expect(result.reasons).toEqual([expect.stringMatching(/finds \d+ of 12 e-bike frames at threshold 0\.05, as many as site-fastestdet/), expect.stringMatching(/flags 0 of 1 frames without an e-bike, no more than site-fastestdet \(0\)/)]);
    // the shadow that was promoted no longer shadows itself
    expect(await readActiveModel(config.modelsDir)).toEqual({ model: "site-yolox", previous: ["site-fastestdet"], changedAt: 1_800_000_000_000, by: "alice", reason: expect.stringMatching(/^promoted over site-fastestdet on 13 held-back frames: /) });

    expect(await rollbackModel({ config, by: "bob", now: 1_800_000_100_000 })).toEqual({ from: "site-yolox", to: "site-fastestdet" });
    expect(await readActiveModel(config.modelsDir)).toMatchObject({ model: "site-fastestdet", previous: [], by: "bob", reason: "rolled back from site-yolox" });
    expect((await readPromotions(config.modelsDir, 10)).map((e) => [e.kind, e.by])).toEqual([
      ["rollback", "bob"],
      ["promotion", "alice"],
    ]);
    await expect(rollbackModel({ config, by: "bob" })).rejects.toThrow(/no model to roll back to: .*active\.json lists no previous model/);
  });

  it("refuses to judge what it cannot: the active model itself, an unknown id, a folder without e-bikes or without frames free of one", async () => {
    const config = await site();
    const frames = await heldout();
    const attempt = (candidate: string, folder: Heldout = frames) => promoteModel({ candidate, heldoutImages: folder.images, heldoutLabels: folder.labels, config, by: "alice" });
    await expect(attempt("site-fastestdet")).rejects.toThrow(/site-fastestdet is already the active model/);
    await expect(attempt("no-such-model")).rejects.toThrow(/no manifest for model "no-such-model"/);
    await expect(attempt("../fastestdet")).rejects.toThrow(/"\.\.\/fastestdet" is not a model id/);
    await expect(attempt("active")).rejects.toThrow(/"active" is reserved/);
    await expect(attempt("site-yolox", await heldout({ ebikes: false }))).rejects.toThrow(/has a labelled e-bike: whether site-yolox loses e-bikes cannot be judged/);
    await expect(attempt("site-yolox", await heldout({ clean: false }))).rejects.toThrow(/whether site-yolox flags frames without one cannot be judged/);
    expect(existsSync(promotionsFile(config.modelsDir))).toBe(false);
  });

  it("sets and stops a shadow, refusing the active model as its own shadow", async () => {
    const config = await site();
    expect(await setShadowModel({ config, model: "site-yolox", by: "alice" })).toEqual({ from: null, to: "site-yolox" });
    expect(await readActiveModel(config.modelsDir)).toMatchObject({ model: "site-fastestdet", shadow: "site-yolox", by: "alice" });
    await expect(setShadowModel({ config, model: "site-fastestdet", by: "alice" })).rejects.toThrow(/is the active model/);
    expect(await setShadowModel({ config, model: null, by: "bob" })).toEqual({ from: "site-yolox", to: null });
    expect((await readActiveModel(config.modelsDir))?.shadow).toBeUndefined();
    expect((await readPromotions(config.modelsDir, 1))[0]).toMatchObject({ kind: "shadow", by: "bob", from: "site-yolox", to: null });
  });
});

/** `node bin/linli.js ...` in a scratch folder. */
const cli = (...args: string[]) => linli(args, { cwd: tempDir("cwd") });

/** The detector's commands in this process, their output kept. */
function inProcess() {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command("linli").exitOverride();
  registerDetectorCommands(program, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { out, err, run: (...args: string[]) => program.parseAsync(args, { from: "user" }) };
}

describe("linli models promote|active|list|shadow", () => {
  it("prints the two models side by side and exits 1 when it refuses; a bad id is one line and exit 2", async () => {
    const config = await site();
    const yaml = path.join(tempDir("config"), "linli.yaml");
    await writeFile(yaml, stringify({ detector: { model: "site-fastestdet", modelsDir: config.modelsDir, mirror: sharedModels } }));
    const frames = await heldout();

    const refused = await cli("models", "promote", "site-fastestdet-strict", "--heldout", frames.dir, "-c", yaml, "--by", "alice");
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(/current\s+candidate/);
    expect(refused.stdout).toMatch(/model\s+site-fastestdet\s+site-fastestdet-strict/);
    expect(refused.stdout).toMatch(/threshold\s+0\.05\s+0\.99/);
    expect(refused.stdout).toMatch(/e-bike frames found\s+[1-9]\d*\/12 .*0\/12 /);
    expect(refused.stdout).toMatch(/frames without e-bike flagged\s+0\/1 .*0\/1 /);
    expect(refused.stdout).toMatch(/REFUSED: site-fastestdet stays the active model\.\n {2}- site-fastestdet-strict finds 0 of 12/);
    expect((await readPromotions(config.modelsDir, 1))[0]).toMatchObject({ kind: "promotion", accepted: false, by: "alice" });

    const unknown = await cli("models", "promote", "no-such-model", "--heldout", frames.dir, "-c", yaml);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^no manifest for model "no-such-model"/);

  });

  it("shadow, active and list read the gateway's config and show the record", async () => {
    const config = await site();
    const yaml = path.join(tempDir("config"), "linli.yaml");
    await writeFile(yaml, stringify({ detector: { model: "site-fastestdet", modelsDir: config.modelsDir } }));
    const { out, err, run } = inProcess();
    await run("models", "active", "-c", yaml);
    expect(out.splice(0)).toEqual([expect.stringMatching(/^no .*active\.json: the gateway runs detector\.model/), "active: site-fastestdet", "shadow: none"]);
    await run("models", "shadow", "site-yolox", "-c", yaml, "--by", "alice");
    await run("models", "active", "-c", yaml);
    expect(out.splice(0).slice(1)).toEqual(["active: site-fastestdet", "shadow: site-yolox", "previous: none", expect.stringMatching(/^changed: \S+ by alice: shadow set to site-yolox$/)]);
    // active.json sits among the manifests, and is not taken for one
    await run("models", "list", "-c", yaml);
    expect(out).toContainEqual(expect.stringMatching(/^site-fastestdet\s+fastestdet\s+missing\s+active\s+BSD/));
    expect(out).toContainEqual(expect.stringMatching(/^site-yolox\s+yolox\s+missing\s+shadow\s+Apache/));
    expect(out).toContainEqual(expect.stringMatching(/^site-fastestdet-strict\s+fastestdet\s+missing\s+BSD/));
    expect(out.some((l) => l.startsWith("active "))).toBe(false);
    await run("models", "shadow", "-c", yaml);
    expect(err).toEqual(["name a shadow model, or give --off (not both)"]);
    process.exitCode = undefined;
  });
});
