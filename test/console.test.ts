import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import type { MqttClient } from "mqtt";
import { chromium, type Browser, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, Sessions, verifyPassword } from "../gateway/console/auth.ts";
import { safeNext } from "../gateway/console/login-page.ts";
import { startAlertsGateway, throwEvent, type AlertsGateway } from "./alerts-fixtures.ts";
import { freePort } from "./services/ports.ts";

const artifacts = resolve(import.meta.dirname, "../test-artifacts");
const PASSWORD = "correct horse battery";

/** A camera's snapshot: a real photo when the shared images are there, else a generated picture. */
async function snapshotJpeg(): Promise<Buffer> {
  const photo = resolve(import.meta.dirname, "../../shared/images/coco-negative-0.jpg");
  if (existsSync(photo)) return readFileSync(photo);
  return sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 110, b: 130 } } }).jpeg().toBuffer();
}

describe("console auth pieces", () => {
  it("hashes with scrypt and verifies only the right password", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyPassword(PASSWORD, "plain-text")).toBe(false);
    expect(await hashPassword(PASSWORD)).not.toBe(hash); // salted
  });

  it("returns a sign-in only to a page of this console, never to another site", () => {
    expect(safeNext("/learning")).toBe("/learning");
    expect(safeNext("//evil.example/x")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("/learning?x=<script>")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });

  it("expires sessions after their time to live", () => {
    let now = 1_000;
    const sessions = new Sessions(60_000, () => now);
    const s = sessions.create("guard", "Guard Wang");
    expect(sessions.get(s.token)?.user).toBe("guard");
    now += 59_999;
    expect(sessions.get(s.token)).toBeDefined();
    now += 1;
    expect(sessions.get(s.token)).toBeUndefined();
    expect(sessions.get("forged")).toBeUndefined();
  });
});

describe("security console in a real browser (Debian chromium via playwright-core)", () => {
  let a: AlertsGateway;
  let camera: Server;
  let cameraUrl: string;
  let jpeg: Buffer;
  let browser: Browser;
  let page: Page;
  let device: MqttClient;
  let url: string;

  beforeAll(async () => {
    jpeg = await snapshotJpeg();
    camera = createServer((req, res) => {
      if (req.url === "/snapshots/t-1.jpg") {
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": jpeg.length });
        res.end(jpeg);
      } else {
        res.writeHead(404).end();
      }
    });
    const port = await freePort();
    await new Promise<void>((r) => camera.listen(port, "127.0.0.1", r));
    cameraUrl = `http://127.0.0.1:${port}`;
    a = await startAlertsGateway(
      {
        console: { accounts: [{ user: "guard", passwordHash: await hashPassword(PASSWORD), displayName: "王师傅" }], sessionTtlMinutes: 30 },
        rules: { deviceSilent: false },
      },
      { influx: { enabled: false } },
    );
    url = a.gw.httpUrl;
    device = await a.gw.client();
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });

  afterAll(async () => {
    await browser?.close();
    await a?.stop();
    await new Promise<void>((r) => (camera ? camera.close(() => r()) : r()));
  });

  it("serves nothing but the login page without a session", async () => {
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toContain('<form method="post" action="/login"');
    expect(html).not.toContain("console.js");
    for (const path of ["/api/alerts", "/api/alerts/history", "/api/alerts/stream", "/console.js", "/console.css", "/evidence/ev-0123456789abcdef0123"]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    }
    const ack = await fetch(`${url}/api/alerts/ack`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"id":"x"}' });
    expect(ack.status).toBe(401);
  });

  it("refuses a wrong password", async () => {
    await page.goto(`${url}/`);
    await expect(page.locator("h1").textContent()).resolves.toBe("安防控制台登录");
    await page.fill("#user", "guard");
    await page.fill("#password", "wrong password");
    const [response] = await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    expect(response?.status()).toBe(401);
    await expect(page.locator("#login-error").textContent()).resolves.toBe("账号或密码错误");
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain("linli_console");
    // an unknown user gets the same answer
    await page.fill("#user", "nobody");
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    await expect(page.locator("#login-error").isVisible()).resolves.toBe(true);
  });

  it("logs in and shows a published throw event within 2 s without a reload, with its snapshot", async () => {
    await page.fill("#user", "guard");
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    await page.waitForSelector("#conn.live", { timeout: 5_000 });
    await expect(page.locator("#empty").isVisible()).resolves.toBe(true);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    const sha = createHash("sha256").update(jpeg).digest("hex");
    const started = Date.now();
    await device.publishAsync(
      "linli/demo/throw/throw-cam-01/event",
      JSON.stringify(throwEvent({ eventId: "t-1", snapshot: `sha256:${sha}`, snapshotUrl: `${cameraUrl}/snapshots/t-1.jpg` })),
      { qos: 1 },
    );
    await page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('article[data-type="throw"] img.snapshot');
        return img !== null && img.complete && img.naturalWidth > 0;
      },
      undefined,
      { timeout: 2_000, polling: 50 },
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(2_000);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // the same page: no reload

    const card = page.locator('article[data-type="throw"]');
    await expect(card.locator("h2").textContent()).resolves.toContain("高空抛物");
    await expect(card.locator(".place").textContent()).resolves.toBe("12号楼 14层 · throw-cam-01");
    await expect(card.locator(".badge.count").textContent()).resolves.toBe("×1");
    await expect(card.getAttribute("class")).resolves.toContain("sev-critical");
    expect(await card.evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe("rgb(231, 76, 60)");
    // the picture is the camera's, kept by the gateway and served with its SHA-256
    const src = await card.locator("img.snapshot").getAttribute("src");
    expect(src).toMatch(/^\/evidence\/ev-[0-9a-f]{20}$/);
    const served = await page.evaluate(async (s) => {
      const r = await fetch(s);
      return { sha: r.headers.get("x-sha256"), type: r.headers.get("content-type"), size: (await r.arrayBuffer()).byteLength };
    }, src!);
    expect(served).toEqual({ sha, type: "image/jpeg", size: jpeg.length });
    await expect(card.locator("img.snapshot").getAttribute("data-sha256")).resolves.toBe(sha);
    const kept = a.gw.gateway.core.evidence.bySha256(sha)!;
    expect(readFileSync(a.gw.gateway.core.evidence.path(kept))).toEqual(jpeg);
  });

  it("updates the count on a repeat and lists the newest alert first, live", async () => {
    await device.publishAsync("linli/demo/throw/throw-cam-01/event", JSON.stringify(throwEvent({ eventId: "t-2" })), { qos: 1 });
    await page.waitForFunction(() => document.querySelector('article[data-type="throw"] .badge.count')?.textContent === "×2", undefined, { timeout: 2_000 });
    await device.publishAsync("linli/demo/charger/charger-03/alarm", JSON.stringify({ ts: Date.now(), alarmId: "a-77", port: 3, type: "over_temp", value: 92.5, threshold: 90 }), { qos: 1 });
    const t = Date.now();
    a.gw.gateway.core.bus.emit("lift.hold", { site: "demo", lift: "lift-07", holdId: "h-1", phase: "start", ts: t, startedAt: t, reason: "ebike", peakScore: 0.93 });
    await page.waitForFunction(() => document.querySelectorAll("#alerts article").length === 3, undefined, { timeout: 2_000 });
    const order = await page.locator("#alerts article").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type));
    expect(order).toEqual(["lift_hold", "charger_over_temp", "throw"]);
    // site learning is off in this gateway: no link to a labelling page that is not there
    expect(await page.locator("#nav-learning").count()).toBe(0);
    // a guard (an account without a role) has no work orders to link to
    expect(await page.locator("#nav-orders").count()).toBe(0);
    await expect(page.locator('article[data-type="lift_hold"]').getAttribute("class")).resolves.toContain("sev-warning");
    await expect(page.locator("#open-count").textContent()).resolves.toBe("3");
  });

  it("acknowledges with a note, recorded with who and when, and keeps a screenshot", async () => {
    const card = page.locator('article[data-type="throw"]');
    const id = (await card.getAttribute("data-id"))!;
    await card.locator("input.note").fill("王师傅已到12号楼楼下");
    await card.locator("button.ack").click();
    await page.waitForFunction((i) => document.querySelector(`article[data-id="${i}"] .badge.state-acknowledged`) !== null, id, { timeout: 2_000 });
    await expect(card.locator(".handled").textContent()).resolves.toContain("确认人: 王师傅");
    const alert = a.ext.store!.get(id)!;
    expect(alert).toMatchObject({ state: "acknowledged", acknowledgedBy: "王师傅", ackNote: "王师傅已到12号楼楼下" });
    expect(Date.now() - alert.acknowledgedAt!).toBeLessThan(10_000);
    expect(a.ext.store!.log(id).find((l) => l.event === "acknowledged")).toMatchObject({ by: "王师傅", note: "王师傅已到12号楼楼下" });
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "console.png"), fullPage: true });
  });

  it("resolves with a note and shows it in the history", async () => {
    const card = page.locator('article[data-type="charger_over_temp"]');
    const id = (await card.getAttribute("data-id"))!;
    await card.locator("input.note").fill("拔掉了充电器，电池已移出车棚");
    await card.locator("button.resolve").click();
    await page.waitForFunction((i) => document.querySelector(`article[data-id="${i}"]`) === null, id, { timeout: 2_000 });
    expect(a.ext.store!.get(id)).toMatchObject({ state: "resolved", resolvedBy: "王师傅", resolveNote: "拔掉了充电器，电池已移出车棚" });
    await page.click("#tab-history");
    const row = page.locator(`#history tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 2_000 });
    await expect(row.locator("td.state").textContent()).resolves.toBe("已解决");
    await expect(row.textContent()).resolves.toContain("处理人: 王师傅");
    await page.screenshot({ path: join(artifacts, "console-history.png"), fullPage: true });
    await page.click("#tab-open");
  });

  it("speaks English on request", async () => {
    await page.goto(`${url}/?lang=en`);
    await page.waitForSelector("#conn.live");
    await expect(page.locator("#tab-open").textContent()).resolves.toContain("Open alerts");
    await expect(page.locator('article[data-type="throw"] .place').textContent()).resolves.toBe("Building 12, floor 14 · throw-cam-01");
    await expect(page.locator('article[data-type="throw"] .badge.state-acknowledged').textContent()).resolves.toBe("Acknowledged");
    await page.screenshot({ path: join(artifacts, "console-en.png"), fullPage: true });
    // the choice sticks to the browser
    await page.goto(`${url}/`);
    await expect(page.locator("#tab-history").textContent()).resolves.toBe("History");
    await page.goto(`${url}/?lang=zh`);
  });

  it("signs out: the page and the API need a login again", async () => {
    await page.click("header.console-nav .sign-out");
    await page.waitForSelector("#login");
    const status = await page.evaluate(async () => (await fetch("/api/alerts")).status);
    expect(status).toBe(401);
  });
});
