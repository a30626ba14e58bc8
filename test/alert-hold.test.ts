/**
 * Legal hold on an alert and its evidence package (issue 15, part 5): a real gateway (embedded
 * broker, alerts, console, evidence store in SQLite), a throw camera serving its snapshot and clip
 * over HTTP, the `linli alerts` CLI, and the hold button in a real chromium.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { userInfo } from "node:os";
import path, { join } from "node:path";
import Database from "better-sqlite3";
import { chromium, type Browser } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertManifest } from "../gateway/alerts/package.ts";
import type { Alert } from "../gateway/alerts/types.ts";
import { hashPassword } from "../gateway/console/auth.ts";
import { EvidenceStore } from "../gateway/evidence/store.ts";
import { moveOldHolds } from "../gateway/orders/held.ts";
import type { WorkOrder } from "../gateway/orders/types.ts";
import { startAlertsGateway, throwEvent, type AlertsGateway } from "./alerts-fixtures.ts";
import { linli } from "./services/cli.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";

const DAY = 86_400_000;
const PASSWORD = "correct horse battery";
const artifacts = path.resolve(import.meta.dirname, "../test-artifacts");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** a camera's picture: a real JPEG, so the console shows it */
const jpeg = (r: number, g: number, b: number) => sharp({ create: { width: 320, height: 240, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();

describe("legal hold on an alert and its evidence package", () => {
  let a: AlertsGateway;
  let camera: Server;
  let browser: Browser;
  const cookies: Record<string, string> = {};
  let photo: Buffer;
  let other: Buffer;
  const clip = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypisom the object falling")]);
  let held: Alert;
  let unheld: Alert;

  const api = (who: string | undefined, route: string, body: unknown, contentType = "application/json") =>
    fetch(`${a.gw.httpUrl}/api/alerts/${route}`, { method: "POST", headers: { "content-type": contentType, ...(who ? { cookie: cookies[who] ?? who } : {}) }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const cli = (args: string[]) => linli(["alerts", ...args], { cwd: a.gw.dataDir, timeoutMs: 30_000 });

  beforeAll(async () => {
    photo = await jpeg(40, 60, 90);
    other = await jpeg(90, 60, 40);
    const files: Record<string, Buffer> = { "/snap.jpg": photo, "/clip.mp4": clip, "/other.jpg": other };
    camera = createServer((req, res) => {
      const body = files[req.url ?? ""];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": req.url?.endsWith(".mp4") ? "video/mp4" : "image/jpeg" }).end(body);
    });
    const port = await freePort();
    await new Promise<void>((r) => camera.listen(port, "127.0.0.1", r));
    const passwordHash = await hashPassword(PASSWORD);
    const accounts = [
      { user: "zhang", passwordHash, displayName: "张主管", role: "supervisor" as const },
      { user: "li", passwordHash, displayName: "李保安", role: "guard" as const },
      { user: "wang", passwordHash, displayName: "王管理员", role: "administrator" as const },
    ];
    a = await startAlertsGateway({ console: { accounts }, rules: { deviceSilent: false } }, { influx: { enabled: false } });
    for (const { user } of accounts) {
      const login = await fetch(`${a.gw.httpUrl}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `user=${user}&password=${encodeURIComponent(PASSWORD)}` });
      cookies[user] = login.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
    }
    const device = await a.gw.client();
    const base = `http://127.0.0.1:${port}`;
    await device.publishAsync("linli/demo/throw/throw-cam-12/event", JSON.stringify(throwEvent({ snapshot: `sha256:${sha(photo)}`, snapshotUrl: `${base}/snap.jpg`, clip: `sha256:${sha(clip)}`, clipUrl: `${base}/clip.mp4` })), { qos: 1 });
    await device.publishAsync("linli/demo/throw/throw-cam-05/event", JSON.stringify(throwEvent({ building: "5", snapshot: `sha256:${sha(other)}`, snapshotUrl: `${base}/other.jpg` })), { qos: 1 });
    const byDevice = (d: string) => a.ext.store!.unresolved().find((x) => x.place.device === d);
    await waitFor("evidence fetched", () => byDevice("throw-cam-12")?.evidence.every((e) => e.id) === true && byDevice("throw-cam-05")?.evidence.every((e) => e.id) === true, 10_000);
    held = byDevice("throw-cam-12")!;
    unheld = byDevice("throw-cam-05")!;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await a?.stop();
    await new Promise<void>((r) => (camera ? camera.close(() => r()) : r()));
  });

  it("refuses a hold from a guard, from nobody, from a made-up session, from a form, and without a reason", async () => {
    expect((await api("li", "hold", { id: held.id, note: "想看看" })).status).toBe(403);
    expect((await api(undefined, "hold", { id: held.id, note: "x" })).status).toBe(401);
    expect((await api("linli_console=forged-token", "hold", { id: held.id, note: "x" })).status).toBe(401);
    // what another site's form could send, with the supervisor's cookie riding along
    expect((await api("zhang", "hold", `id=${held.id}&note=x`, "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await api("zhang", "hold", { id: held.id, note: "  " })).status).toBe(400);
    expect((await fetch(`${a.gw.httpUrl}/api/alerts/package?id=${held.id}`, { headers: { cookie: cookies.li! } })).status).toBe(403);
    expect(a.gw.gateway.core.evidence.holds.records()).toEqual([]);
  });

  it("a supervisor holds the throw from its card in the console; the card shows it held", async () => {
    const page = await (await browser.newContext({ viewport: { width: 360, height: 780 } })).newPage();
    await page.goto(`${a.gw.httpUrl}/`);
    await page.fill("#user", "zhang");
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    const card = page.locator(`article[data-id="${held.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await card.locator(".note").fill("派出所调取 2026-117 号");
    await card.locator(".legal-hold").click();
    await card.locator(".badge.held").waitFor({ timeout: 5_000 });
    expect(await card.locator(".legal-hold").count()).toBe(0);
    // the held card offers the package as one file (test/alert-hold-console.test.ts downloads and verifies it)
    expect(await card.locator("a.package-download").getAttribute("href")).toBe(`/api/alerts/package.tar?id=${encodeURIComponent(held.id)}`);
    await page.screenshot({ path: join(artifacts, "alert-legal-hold.png"), fullPage: true });
    await page.context().close();
    const [hold] = a.gw.gateway.core.evidence.holds.records();
    expect(hold).toMatchObject({ seq: 1, subject: `alert:${held.id}`, event: "held", by: "张主管 (zhang)", reason: "派出所调取 2026-117 号" });
    expect(hold!.evidence.map((e) => e.sha256).sort()).toEqual([sha(photo), sha(clip)].sort());
    // a second hold, and a release by a supervisor, are refused
    expect((await api("zhang", "hold", { id: held.id, note: "again" })).status).toBe(409);
    expect((await api("zhang", "release-hold", { id: held.id, note: "结案" })).status).toBe(403);
    // the guard's page shows the hold but no button
    const list = (await (await fetch(`${a.gw.httpUrl}/api/alerts`, { headers: { cookie: cookies.li! } })).json()) as { alerts: Array<Alert & { hold?: { by: string }; mayHold: boolean }> };
    expect(list.alerts.find((x) => x.id === held.id)).toMatchObject({ hold: { by: "张主管 (zhang)" }, mayHold: false });
  });

  it("the hold survives retention: held files and the alert stay, the un-held ones go", async () => {
    for (const x of [held, unheld]) a.ext.engine!.resolve(x.id, "张主管", "处理完毕");
    const evidence = a.gw.gateway.core.evidence;
    const paths = [...held.evidence, ...unheld.evidence].map((e) => evidence.path(evidence.get(e.id!)!));
    // a year on: every file is far past `evidence.retentionDays`, every alert past `alerts.historyDays`
    expect(evidence.purge(Date.now() + 365 * DAY)).toBe(1);
    expect(a.ext.store!.purge(Date.now() + 365 * DAY)).toBe(1);
    expect(paths.map((p) => existsSync(p))).toEqual([true, true, false]);
    for (const e of held.evidence) expect(sha(readFileSync(evidence.path(evidence.get(e.id!)!)))).toBe(e.sha256);
    expect(evidence.get(unheld.evidence[0]!.id!)).toBeUndefined();
    expect(a.ext.store!.get(held.id)?.state).toBe("resolved");
    expect(a.ext.store!.get(unheld.id)).toBeUndefined();
    // an administrator erasing a picture does not get past the hold either
    expect(evidence.remove(held.evidence[0]!.id!)).toBe(false);
  });

  it("exports a package whose manifest verifies, and names a file changed afterwards", async () => {
    const out = join(a.gw.dataDir, "package");
    const exported = await cli(["package", held.id, out, "--data-dir", a.gw.dataDir]);
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as AlertManifest;
    expect(manifest.files.map((f) => f.path)).toEqual(["alert.json", "events.json", "evidence/clip-1.mp4", "evidence/snapshot-1.jpg", "history.json", "holds.json"]);
    expect(readFileSync(join(out, "evidence/snapshot-1.jpg"))).toEqual(photo);
    expect(manifest.files.find((f) => f.path === "evidence/clip-1.mp4")?.sha256).toBe(sha(clip));
    const [hold] = a.gw.gateway.core.evidence.holds.records();
    expect(manifest).toMatchObject({ alertId: held.id, hold: { seq: 1, hash: hold!.hash, reason: "派出所调取 2026-117 号" }, chain: { seqs: [1], lastHash: hold!.hash }, absent: [] });
    // the throw as the camera reported it, with its track
    const events = JSON.parse(readFileSync(join(out, "events.json"), "utf8")) as Array<{ event: { data: { track: unknown[] } } }>;
    expect(events).toHaveLength(1);
    expect(events[0]!.event.data.track).toEqual([
      { t: 0, x: 0.51, y: 0.22 },
      { t: 400, x: 0.52, y: 0.61 },
    ]);
    const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as Array<{ event: string; by?: string }>;
    expect(history.map((h) => h.event)).toEqual(["opened", "evidence", "evidence", "held", "resolved"]);
    expect(history[3]).toMatchObject({ by: "张主管 (zhang)" });

    for (const args of [["verify-package", out], ["verify-package", out, "--data-dir", a.gw.dataDir]]) {
      const ok = await cli(args);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
    }
    const bytes = readFileSync(join(out, "evidence/clip-1.mp4"));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    writeFileSync(join(out, "evidence/clip-1.mp4"), bytes);
    const bad = await cli(["verify-package", out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("evidence/clip-1.mp4: SHA-256 does not match the manifest");
    // the hold record rewritten in the gateway's database: the package no longer matches the chain, and the chain is broken
    const db = new Database(join(a.gw.dataDir, "evidence", "index.db"));
    try {
      db.prepare("UPDATE hold_records SET reason = ? WHERE seq = 1").run("物业自查");
      const rewritten = await cli(["verify-package", out, "--data-dir", a.gw.dataDir]);
      expect(rewritten.code).toBe(1);
      expect(rewritten.stderr).toContain("the gateway's hold chain: record 1 was changed after it was written (hash mismatch)");
    } finally {
      db.prepare("UPDATE hold_records SET reason = ? WHERE seq = 1").run("派出所调取 2026-117 号");
      db.close();
    }
  });

  it("the console hands out the same package as JSON with links; the CLI holds and an administrator's release is recorded in the chain", async () => {
    const res = await fetch(`${a.gw.httpUrl}/api/alerts/package?id=${held.id}`, { headers: { cookie: cookies.zhang! } });
    expect(res.status).toBe(200);
    const listing = (await res.json()) as { files: Array<{ role: string; sha256: string; url: string }>; holds: unknown[] };
    expect(listing.holds).toHaveLength(1);
    for (const f of listing.files) {
      const file = await fetch(`${a.gw.httpUrl}${f.url}`, { headers: { cookie: cookies.zhang! } });
      expect(sha(Buffer.from(await file.arrayBuffer()))).toBe(f.sha256);
    }
    const released = await api("wang", "release-hold", { id: held.id, note: "法院解除保全 (2027) 沪0112 民初 1 号" });
    expect(released.status).toBe(200);
    expect(((await released.json()) as { alert: { hold?: unknown } }).alert.hold).toBeUndefined();
    const again = await cli(["hold", held.id, "--reason", "二审调取", "--by", "wang", "--data-dir", a.gw.dataDir]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    const chain = a.gw.gateway.core.evidence.holds.records();
    expect(chain.map((r) => [r.seq, r.event, r.by])).toEqual([
      [1, "held", "张主管 (zhang)"],
      [2, "released", "王管理员 (wang)"],
      [3, "held", `wang via cli:${userInfo().username}`],
    ]);
    expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
    expect((await cli(["hold", "al-nothing", "--reason", "x", "--data-dir", a.gw.dataDir])).stderr).toContain("no alert al-nothing");
  });
});

describe("work orders held before holds lived in the evidence store", () => {
  it("their copies in orders/held go back into the store, held under the order with the original who, when and why", () => {
    const dir = tempDir("old-holds");
    const evidence = new EvidenceStore(join(dir, "evidence"));
    try {
      const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from("a snapshot held in 2026")]);
      const original = Buffer.from("the clip as it was held");
      const damaged = Buffer.from("the copy, changed on disk since");
      mkdirSync(join(dir, "held"));
      writeFileSync(join(dir, "held", sha(bytes)), bytes);
      writeFileSync(join(dir, "held", sha(original)), damaged);
      const order: WorkOrder = {
        id: "wo-old",
        type: "incident",
        state: "open",
        place: { site: "demo", device: "throw-cam-01" },
        description: "高空抛物",
        evidence: [
          { role: "snapshot", sha256: sha(bytes), id: "ev-gone-with-retention" },
          { role: "clip", sha256: sha(original) },
        ],
        createdBy: "system",
        createdAt: 1,
        dueAt: 2,
        photos: [],
        signatures: [],
        legalHold: { at: 1_767_000_000_000, by: "zhang", note: "派出所调取 2026-009 号" },
        version: 2,
      };
      expect(moveOldHolds(join(dir, "held"), [order], evidence)).toEqual({ moved: 1, damaged: [join(dir, "held", sha(original))] });
      expect(evidence.holds.current("order:wo-old")).toMatchObject({ by: "zhang", at: 1_767_000_000_000, reason: "派出所调取 2026-009 号", evidence: [{ sha256: sha(bytes) }] });
      const rec = evidence.bySha256(sha(bytes))!;
      expect(readFileSync(evidence.path(rec))).toEqual(bytes);
      expect(evidence.purge(Date.now() + 365 * DAY)).toBe(0);
      // run again (every start): nothing more to move
      expect(moveOldHolds(join(dir, "held"), [order], evidence).moved).toBe(0);
      expect(existsSync(join(dir, "held", sha(bytes)))).toBe(true);
    } finally {
      evidence.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
