/**
 * Legal hold in the consoles (issue 15, part 5): holding a resolved alert from the History tab and
 * downloading its evidence package as one .tar (extracted with the system `tar`, verified with
 * `linli alerts verify-package`); the labelling page refusing to erase a held frame; and an
 * administrator releasing a work order's hold in the orders console and with `linli orders
 * release-hold`. A real gateway (embedded broker, alerts, orders, learning, evidence store in
 * SQLite), a throw camera over HTTP, and a real chromium.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { userInfo } from "node:os";
import path, { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertManifest } from "../gateway/alerts/package.ts";
import type { Alert } from "../gateway/alerts/types.ts";
import { hashPassword } from "../gateway/console/auth.ts";
import type { LiftDetection } from "../gateway/detector/events.ts";
import { tarArchive } from "../gateway/evidence/tar.ts";
import { ordersFeature } from "../gateway/orders/feature.ts";
import type { WorkOrder } from "../gateway/orders/types.ts";
import { SYSTEM } from "../gateway/orders/workflow.ts";
import { startAlertsGateway, throwEvent, type AlertsGateway } from "./alerts-fixtures.ts";
import { linli } from "./services/cli.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";

const run = promisify(execFile);
const PASSWORD = "correct horse battery";
const artifacts = path.resolve(import.meta.dirname, "../test-artifacts");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const jpeg = (r: number, g: number, b: number) => sharp({ create: { width: 320, height: 240, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();

describe("a ustar archive written with Node alone", () => {
  it("extracts with the system tar: long paths, Chinese text, an empty file, sizes on and off the 512-byte blocks", async () => {
    const dir = tempDir("tar");
    const long = `linli-pkg/${"evidence-of-a-very-long-name/".repeat(4)}snapshot-1.jpg`;
    expect(Buffer.byteLength(long)).toBeGreaterThan(100);
    const files: Record<string, Buffer> = {
      "linli-pkg/alert.json": Buffer.from('{"summary":"12号楼 14层 高空抛物"}\n'),
      "linli-pkg/empty.txt": Buffer.alloc(0),
      "linli-pkg/block.bin": Buffer.alloc(1024, 7),
      [long]: Buffer.alloc(1500, 9),
    };
    writeFileSync(join(dir, "p.tar"), tarArchive(Object.entries(files).map(([p, bytes]) => ({ path: p, bytes, mtimeMs: 1_767_000_000_000 }))));
    const listed = await run("tar", ["-tvf", join(dir, "p.tar")]);
    expect(listed.stderr).toBe("");
    await run("tar", ["-xf", join(dir, "p.tar"), "-C", dir]);
    for (const [p, bytes] of Object.entries(files)) expect(readFileSync(join(dir, p)), p).toEqual(bytes);
  });
});

describe("legal hold in the consoles", () => {
  let a: AlertsGateway;
  let camera: Server;
  let browser: Browser;
  const cookies: Record<string, string> = {};
  let photo: Buffer;
  let frame: Buffer;
  let resolved: Alert;
  let order: WorkOrder;
  let frameId: string;

  const cli = (args: string[]) => linli(args, { cwd: a.gw.dataDir, timeoutMs: 30_000 });
  const get = (who: string, route: string) => fetch(`${a.gw.httpUrl}${route}`, { headers: { cookie: cookies[who]! } });
  const orderAction = (who: string, body: Record<string, unknown>) =>
    fetch(`${a.gw.httpUrl}/api/orders/action`, { method: "POST", headers: { cookie: cookies[who]!, "content-type": "application/json" }, body: JSON.stringify(body) });
  const current = () => a.gw.gateway.feature(ordersFeature)!.store!.get(order.id)!;

  async function signIn(who: string, to: string, width = 360): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width, height: 800 }, acceptDownloads: true })).newPage();
    await page.goto(`${a.gw.httpUrl}${to}`);
    await page.fill("#user", who);
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    return page;
  }

  beforeAll(async () => {
    photo = await jpeg(40, 60, 90);
    frame = await jpeg(90, 90, 30);
    camera = createServer((req, res) => (req.url === "/snap.jpg" ? res.writeHead(200, { "content-type": "image/jpeg" }).end(photo) : res.writeHead(404).end()));
    const port = await freePort();
    await new Promise<void>((r) => camera.listen(port, "127.0.0.1", r));
    const passwordHash = await hashPassword(PASSWORD);
    const accounts = [
      { user: "zhang", passwordHash, displayName: "张主管", role: "supervisor" as const },
      { user: "li", passwordHash, displayName: "李保安", role: "guard" as const },
      { user: "wang", passwordHash, displayName: "王管理员", role: "administrator" as const },
    ];
    a = await startAlertsGateway({ console: { accounts }, rules: { deviceSilent: false } }, { influx: { enabled: false }, learning: { enabled: true } });
    for (const { user } of accounts) {
      const login = await fetch(`${a.gw.httpUrl}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `user=${user}&password=${encodeURIComponent(PASSWORD)}` });
      cookies[user] = login.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
    }
    const device = await a.gw.client();
    await device.publishAsync("linli/demo/throw/throw-cam-12/event", JSON.stringify(throwEvent({ snapshot: `sha256:${sha(photo)}`, snapshotUrl: `http://127.0.0.1:${port}/snap.jpg` })), { qos: 1 });
    const throwAlert = () => a.ext.store!.unresolved().find((x) => x.place.device === "throw-cam-12");
    await waitFor("snapshot fetched", () => throwAlert()?.evidence.every((e) => e.id) === true, 10_000);
    // the throw was handled weeks ago; the police ask for it now
    resolved = a.ext.engine!.resolve(throwAlert()!.id, "李保安", "已处理").alert;

    // a lift camera's frame that site learning kept, and the work order made from the lift's alert with it as evidence
    const core = a.gw.gateway.core;
    const detection: LiftDetection = {
      site: core.config.site,
      lift: "L1",
      ts: Date.now(),
      frameTs: Date.now() - 1_000,
      model: "m1",
      ebike: false,
      ebikeScore: 0.3,
      threshold: 0.5,
      detections: [],
      frameWidth: 320,
      frameHeight: 240,
      waitMs: 0,
      preprocessMs: 1,
      inferenceMs: 3,
      totalMs: 5,
      dropped: 0,
      evidence: { image: frame, format: "jpeg" },
    };
    core.bus.emit("lift.detection", detection);
    await waitFor("frame kept for labelling", () => core.evidence.bySha256(sha(frame)) !== undefined, 10_000);
    const rec = core.evidence.bySha256(sha(frame))!;
    frameId = ((await (await get("wang", "/api/learning/queue?state=all")).json()) as { frames: Array<{ id: string }> }).frames[0]!.id;
    order = a.gw.gateway.feature(ordersFeature)!.workflow!.create(
      { type: "incident", place: { site: core.config.site, device: "L1", building: "3" }, description: "电梯内疑似电动车", evidence: [{ role: "frame", sha256: rec.sha256, id: rec.id, mime: rec.mime }] },
      SYSTEM,
    );
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await a?.stop();
    await new Promise<void>((r) => (camera ? camera.close(() => r()) : r()));
  });

  it("a supervisor holds a resolved alert from the History tab and downloads its package as one .tar that verifies", async () => {
    const page = await signIn("zhang", "/");
    await page.click("#tab-history");
    const row = page.locator(`#history tr[data-id="${resolved.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator(".badge.held").count()).toBe(0);
    await row.locator(".note").fill("派出所调取 2026-201 号");
    await row.locator(".legal-hold").click();
    const link = page.locator(`#history tr[data-id="${resolved.id}"] a.package-download`);
    await link.waitFor({ timeout: 5_000 });
    expect(await page.locator(`#history tr[data-id="${resolved.id}"] .badge.held`).textContent()).toBe("已法律保全");
    await page.screenshot({ path: join(artifacts, "alert-history-hold.png"), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe(`linli-${resolved.id}.tar`);
    const dir = tempDir("package-download");
    const tar = join(dir, download.suggestedFilename());
    await download.saveAs(tar);
    await page.context().close();
    expect(a.gw.gateway.core.evidence.holds.current(`alert:${resolved.id}`)).toMatchObject({ by: "张主管 (zhang)", reason: "派出所调取 2026-201 号" });

    await run("tar", ["-xf", tar, "-C", dir]);
    const out = join(dir, `linli-${resolved.id}`);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as AlertManifest;
    expect(manifest.files.map((f) => f.path)).toEqual(["alert.json", "events.json", "evidence/snapshot-1.jpg", "history.json", "holds.json"]);
    expect(readFileSync(join(out, "evidence/snapshot-1.jpg"))).toEqual(photo);
    expect(manifest.hold).toMatchObject({ reason: "派出所调取 2026-201 号", by: "张主管 (zhang)" });
    const verified = await cli(["alerts", "verify-package", out, "--data-dir", a.gw.dataDir]);
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain("ok: every file matches the manifest");
  });

  it("a guard sees the held badge in History but neither button nor link, and gets no package", async () => {
    const page = await signIn("li", "/");
    await page.click("#tab-history");
    const row = page.locator(`#history tr[data-id="${resolved.id}"]`);
    await row.locator(".badge.held").waitFor({ timeout: 10_000 });
    expect(await row.locator(".legal-hold").count()).toBe(0);
    expect(await row.locator("a.package-download").count()).toBe(0);
    await page.context().close();
    expect((await get("li", `/api/alerts/package.tar?id=${resolved.id}`)).status).toBe(403);
    expect((await fetch(`${a.gw.httpUrl}/api/alerts/package.tar?id=${resolved.id}`)).status).toBe(401);
    expect((await get("zhang", "/api/alerts/package.tar?id=al-nothing")).status).toBe(404);
  });

  it("the labelling page refuses to erase a frame a work order's hold keeps, and says why", async () => {
    expect((await orderAction("zhang", { action: "hold", id: order.id, version: order.version, note: "派出所调取 2026-202 号" })).status).toBe(200);
    const page = await signIn("wang", "/learning?lang=zh", 1280);
    await page.click(`#frames .frame[data-id="${frameId}"]`);
    await page.click("#delete-frame");
    await page.click("#delete-frame");
    await page.locator("#status.error").waitFor({ timeout: 5_000 });
    expect(await page.locator("#status").textContent()).toContain("此画面已被法律保全（证据保全），不能删除");
    expect(await page.locator(`#frames .frame[data-id="${frameId}"]`).count()).toBe(1);
    await page.screenshot({ path: join(artifacts, "learning-erase-held.png") });
    await page.context().close();
    const refused = await fetch(`${a.gw.httpUrl}/api/learning/frames/${frameId}?lang=en`, { method: "DELETE", headers: { cookie: cookies.wang! } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toBe("This frame is under legal hold and cannot be deleted; an administrator must release the hold first");
    const evidence = a.gw.gateway.core.evidence;
    expect(existsSync(evidence.path(evidence.bySha256(sha(frame))!))).toBe(true);
    expect((await get("wang", `/api/learning/frames/${frameId}`)).status).toBe(200);
  });

  it("only an administrator releases a work order's hold, with a reason, in the orders console; the chain and the order's history record it", async () => {
    expect((await orderAction("zhang", { action: "release-hold", id: order.id, version: current().version, note: "结案" })).status).toBe(403);
    expect((await orderAction("wang", { action: "release-hold", id: order.id, version: current().version, note: " " })).status).toBe(400);
    expect((await orderAction("wang", { action: "release-hold", id: order.id, version: order.version, note: "replayed" })).status).toBe(409);
    const supervisorPage = await signIn("zhang", `/orders/${order.id}`);
    await supervisorPage.locator(".badge.held").waitFor({ timeout: 10_000 });
    expect(await supervisorPage.locator("#release-hold").count()).toBe(0);
    await supervisorPage.context().close();

    const page = await signIn("wang", `/orders/${order.id}`);
    await page.locator(".badge.held").waitFor({ timeout: 10_000 });
    await page.locator("summary", { hasText: "解除法律保全" }).click();
    await page.fill("#release-note", "法院解除保全 (2027) 沪0112 民初 2 号");
    await page.click("#release-hold");
    await page.locator('.history li[data-event="released"]').waitFor({ timeout: 5_000 });
    expect(await page.locator(".badge.held").count()).toBe(0);
    expect(await page.locator('.history li[data-event="released"]').textContent()).toContain("解除法律保全 · 法院解除保全 (2027) 沪0112 民初 2 号");
    await page.screenshot({ path: join(artifacts, "order-release-hold.png"), fullPage: true });
    await page.context().close();

    const holds = a.gw.gateway.core.evidence.holds;
    expect(holds.records(`order:${order.id}`).map((r) => [r.event, r.by, r.reason])).toEqual([
      ["held", "zhang", "派出所调取 2026-202 号"],
      ["released", "wang", "法院解除保全 (2027) 沪0112 民初 2 号"],
    ]);
    expect(current().legalHold).toBeUndefined();
    // the frame is no longer held: the erase goes through
    expect((await fetch(`${a.gw.httpUrl}/api/learning/frames/${frameId}`, { method: "DELETE", headers: { cookie: cookies.wang! } })).status).toBe(200);
  });

  it("`linli orders release-hold` releases a hold from the shell, recorded with the login; `linli orders verify` still passes", async () => {
    expect((await orderAction("zhang", { action: "hold", id: order.id, version: current().version, note: "二审调取" })).status).toBe(200);
    const missing = await cli(["orders", "release-hold", order.id, "--data-dir", a.gw.dataDir]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("--reason");
    const released = await cli(["orders", "release-hold", order.id, "--reason", "二审结案", "--by", "wang", "--data-dir", a.gw.dataDir]);
    expect(released.stderr).toBe("");
    expect(released.code).toBe(0);
    const by = `wang via cli:${userInfo().username}`;
    const last = a.gw.gateway.core.evidence.holds.records(`order:${order.id}`).at(-1)!;
    expect(last).toMatchObject({ event: "released", by, reason: "二审结案" });
    expect(released.stdout).toContain(`hold record ${last.seq}`);
    expect(current().legalHold).toBeUndefined();
    const history = a.gw.gateway.feature(ordersFeature)!.store!.history(order.id);
    expect(history.map((r) => r.event)).toEqual(["created", "held", "released", "held", "released"]);
    expect(history.at(-1)).toMatchObject({ by, data: { note: "二审结案" } });
    const again = await cli(["orders", "release-hold", order.id, "--reason", "x", "--data-dir", a.gw.dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("not on legal hold");
    const verified = await cli(["orders", "verify", "--data-dir", a.gw.dataDir]);
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
  });
});
