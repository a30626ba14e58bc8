import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { chromium, type Browser, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { ordersFeature, type OrdersFeature } from "../gateway/orders/feature.ts";
import { startAlertsGateway, startReceiver, type AlertsGateway, type Received, type Receiver } from "./alerts-fixtures.ts";
import { linli } from "./services/cli.ts";
import { waitFor } from "./services/ports.ts";

const artifacts = resolve(import.meta.dirname, "../test-artifacts");
const PASSWORD = "correct horse battery";
// What staff wait for on a page: generous, because a loaded CI machine renders slowly; a broken page still fails.
const PAGE_WAIT = 15_000;

/** The WeCom group robot's markdown message, as its API documents it. */
function wecomProblem(r: Received): string | undefined {
  if (r.method !== "POST" || r.path !== "/cgi-bin/webhook/send" || r.query.get("key") !== "wecom-key") return `bad request line ${r.method} ${r.path}`;
  const b = r.body as { msgtype?: unknown; markdown?: { content?: unknown } };
  if (JSON.stringify(Object.keys(b)) !== '["msgtype","markdown"]' || b.msgtype !== "markdown") return "not a markdown message";
  if (!b.markdown || JSON.stringify(Object.keys(b.markdown)) !== '["content"]' || typeof b.markdown.content !== "string") return "markdown.content missing";
  if (Buffer.byteLength(b.markdown.content) > 4_096) return "content over 4096 bytes";
  return undefined;
}

const content = (r: Received) => (r.body as { markdown: { content: string } }).markdown.content;

async function signIn(page: Page, url: string, user: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill("#user", user);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
}

/** Draws a signature on the pad with the mouse (a finger on a phone sends the same pointer events). */
async function drawSignature(page: Page): Promise<void> {
  const pad = page.locator("canvas#signature");
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + box.height * 0.5);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 20 + i * ((box.width - 40) / 12), box.y + box.height * (0.5 - 0.3 * Math.sin(i / 2)));
  await page.mouse.up();
}

const stateOf = (page: Page) => page.locator("#order .badge.state").getAttribute("data-state");

describe("a charger smoke alarm to a signed-off work order, through the pages (chromium, SQLite, a WeCom robot)", () => {
  let reminders: Receiver;
  let supervisorHook: Receiver;
  const problems: string[] = [];
  let a: AlertsGateway;
  let orders: OrdersFeature;
  let browser: Browser;
  let desk: Page;
  let phone: Page;
  let url: string;
  let orderId: string;
  const mqttStates: Array<{ topic: string; state: { lastEvent: string; state: string; signatures: Array<{ png?: string }> } }> = [];

  beforeAll(async () => {
    const robot = (r: Received) => {
      const p = wecomProblem(r);
      if (p) problems.push(p);
      return { status: 200, body: p ? { errcode: 40_035, errmsg: p } : { errcode: 0, errmsg: "ok" } };
    };
    reminders = await startReceiver(robot);
    supervisorHook = await startReceiver(robot);
    const passwordHash = await hashPassword(PASSWORD);
    a = await startAlertsGateway(
      {
        console: {
          accounts: [
            { user: "zhang", passwordHash, displayName: "张主管", role: "supervisor" },
            { user: "admin", passwordHash, displayName: "管理员", role: "administrator" },
          ],
        },
        rules: { deviceSilent: false },
      },
      {
        influx: { enabled: false },
        orders: {
          // a repair is due 3 s after it opens, the supervisor hears 1 s after that
          slaMinutes: { repair: 3 / 60 },
          escalation: {
            checkMs: 200,
            supervisorAfterMinutes: 1 / 60,
            webhooks: [{ type: "wecom", url: `${reminders.url}/cgi-bin/webhook/send?key=wecom-key` }],
            supervisorWebhooks: [{ type: "wecom", url: `${supervisorHook.url}/cgi-bin/webhook/send?key=wecom-key` }],
          },
        },
      },
    );
    orders = a.gw.gateway.feature(ordersFeature)!;
    // an MQTT client of the site, as a control room's screen would be, on the orders' retained states
    const watcher = await a.gw.client();
    watcher.on("message", (topic, payload) => mqttStates.push({ topic, state: JSON.parse(payload.toString()) as { lastEvent: string; state: string; signatures: Array<{ png?: string }> } }));
    await watcher.subscribeAsync("linli/demo/orders/#", { qos: 1 });
    url = a.gw.httpUrl;
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    desk = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })).newPage();
    phone = await (await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true })).newPage();
    mkdirSync(artifacts, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await a?.stop();
    await reminders?.close();
    await supervisorHook?.close();
  });

  it("an administrator adds the technician's account on the accounts page", async () => {
    await signIn(desk, url, "admin");
    await desk.goto(`${url}/console/users`);
    await desk.fill("#new-user", "li");
    await desk.fill("#new-name", "李师傅");
    await desk.selectOption("#new-role", "technician");
    await desk.fill("#new-password", PASSWORD);
    await desk.click("#add-account");
    await desk.locator('#accounts tr[data-user="li"]').waitFor({ timeout: PAGE_WAIT });
    await expect(desk.locator('#accounts tr[data-user="li"] select.role').inputValue()).resolves.toBe("technician");
    // the config's accounts are shown but changed only in linli.yaml
    await expect(desk.locator('#accounts tr[data-user="zhang"] select.role').isDisabled()).resolves.toBe(true);
    await desk.screenshot({ path: join(artifacts, "console-accounts.png"), fullPage: true });
    await desk.click("header.console-nav .sign-out");
  });

  it("the supervisor turns the smoke alarm into a work order in one click and assigns it", async () => {
    const device = await a.gw.client();
    await device.publishAsync("linli/demo/charger/charger-03/alarm", JSON.stringify({ ts: Date.now(), alarmId: "a-1", port: 3, type: "smoke", value: 1, threshold: 1 }), { qos: 1 });
    await waitFor("the smoke alert", () => a.changes.some((c) => c.alert.type === "charger_smoke"), PAGE_WAIT);
    await signIn(desk, url, "zhang");
    // a supervisor lands in the guard room: the alarm's own card makes it a work order
    const guardRoomCard = desk.locator('#alerts article[data-type="charger_smoke"]');
    await guardRoomCard.waitFor({ timeout: PAGE_WAIT });
    await Promise.all([desk.waitForURL(/\/orders\/WO-/), guardRoomCard.locator("button.to-order").click()]);
    orderId = decodeURIComponent(desk.url().split("/orders/")[1]!);
    await desk.locator("#order .badge.state").waitFor();
    await expect(stateOf(desk)).resolves.toBe("open");
    await expect(desk.locator("#order .description").textContent()).resolves.toContain("充电桩烟雾");
    await desk.selectOption("#assignee", "li");
    await desk.click("#assign");
    await desk.waitForFunction(() => document.querySelector("#order .badge.state")?.getAttribute("data-state") === "assigned", undefined, { timeout: PAGE_WAIT });
    await expect(desk.locator("#order .assignee").textContent()).resolves.toContain("李师傅");
    expect(orders.store!.get(orderId)).toMatchObject({ type: "repair", state: "assigned", assignee: "li", alertId: a.changes.find((c) => c.alert.type === "charger_smoke")!.alert.id });
    await desk.screenshot({ path: join(artifacts, "orders-assigned.png"), fullPage: true });
  });

  it("the order, not accepted in time, reminds the technician and then tells the supervisor, as WeCom robot messages", async () => {
    await waitFor("both robot messages", () => reminders.received.length > 0 && supervisorHook.received.length > 0, 10_000);
    await orders.idle();
    expect(problems).toEqual([]);
    expect(content(reminders.received[0]!)).toContain(orderId);
    expect(content(reminders.received[0]!)).toContain("超时提醒处理人");
    expect(content(reminders.received[0]!)).toContain("李师傅");
    expect(content(supervisorHook.received[0]!)).toContain("超时升级至主管");
    // one of each, however many checks ran
    expect(reminders.received).toHaveLength(1);
    expect(supervisorHook.received).toHaveLength(1);
    // and on MQTT, the order's retained state names the step
    await waitFor("the escalation on MQTT", () => mqttStates.some((m) => m.topic === `linli/demo/orders/${orderId}` && m.state.lastEvent === "escalated"), PAGE_WAIT);
    const events = orders.store!.history(orderId).map((r) => r.event);
    expect(events).toContain("reminded");
    expect(events).toContain("escalated");
  });

  it("the technician works it on a 360 px phone: accepts, starts, adds a photo, signs it done", async () => {
    await signIn(phone, url, "li");
    // a technician has no guard room: `/` sends them to their orders
    expect(new URL(phone.url()).pathname).toBe("/orders");
    const card = phone.locator(`article.order[data-id="${orderId}"]`);
    await card.waitFor({ timeout: PAGE_WAIT });
    await expect(card.textContent()).resolves.toContain("处理人: 李师傅");
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await phone.screenshot({ path: join(artifacts, "orders-phone-list.png"), fullPage: true });
    await card.locator("a.open-order").click();
    await phone.locator("#accept").click();
    await phone.locator("#start").waitFor({ timeout: PAGE_WAIT });
    await phone.locator("#start").click();
    await phone.locator("#photo-file").waitFor({ timeout: PAGE_WAIT });
    const photo = await sharp({ create: { width: 480, height: 360, channels: 3, background: { r: 160, g: 90, b: 40 } } }).jpeg().toBuffer();
    await phone.setInputFiles("#photo-file", { name: "repair.jpg", mimeType: "image/jpeg", buffer: photo });
    await phone.click("#upload");
    await phone.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("img.photo");
      return img !== null && img.complete && img.naturalWidth === 480;
    }, undefined, { timeout: PAGE_WAIT });
    // signing on an empty pad is refused on the page
    await phone.click("#done");
    await expect(phone.locator("#error").textContent()).resolves.toContain("请先签字");
    await drawSignature(phone);
    await phone.fill("#sign-note", "更换了 3 号口继电器");
    await phone.click("#done");
    await phone.waitForFunction(() => document.querySelector("#order .badge.state")?.getAttribute("data-state") === "done", undefined, { timeout: PAGE_WAIT });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expect(phone.locator('.sig[data-as="worker"]').textContent()).resolves.toContain("李师傅");
    await phone.screenshot({ path: join(artifacts, "orders-phone-done.png"), fullPage: true });
    const o = orders.store!.get(orderId)!;
    expect(o.photos).toHaveLength(1);
    expect(o.signatures[0]).toMatchObject({ as: "worker", by: "li", byName: "李师傅" });
    expect(o.signatures[0]!.contentSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the technician's order page speaks English at 360 px too", async () => {
    await phone.goto(`${url}/orders/${orderId}?lang=en`);
    await phone.locator("#order .badge.state").waitFor({ timeout: PAGE_WAIT });
    await expect(phone.locator("#order .badge.state").textContent()).resolves.toBe("Done");
    await expect(phone.locator('.sig[data-as="worker"]').textContent()).resolves.toContain("Worker: 李师傅");
    await expect(phone.locator("#nav-orders").textContent()).resolves.toBe("Work orders");
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await phone.screenshot({ path: join(artifacts, "orders-phone-en.png"), fullPage: true });
  });

  it("the supervisor signs it off and exports the PDF, which renders with its photo and both signatures", async () => {
    await desk.reload();
    await desk.locator("canvas#signature").waitFor({ timeout: PAGE_WAIT });
    await drawSignature(desk);
    await desk.click("#sign-off");
    await desk.waitForFunction(() => document.querySelector("#order .badge.state")?.getAttribute("data-state") === "signed_off", undefined, { timeout: PAGE_WAIT });
    await expect(desk.locator(".sig").count()).resolves.toBe(2);
    await desk.screenshot({ path: join(artifacts, "orders-signed-off.png"), fullPage: true });
    // MQTT carries the state, not the drawings
    await waitFor("signed off on MQTT", () => mqttStates.some((m) => m.state.state === "signed_off"), PAGE_WAIT);
    expect(mqttStates.find((m) => m.state.state === "signed_off")!.state.signatures.every((x) => x.png === undefined)).toBe(true);
    const [download] = await Promise.all([desk.waitForEvent("download"), desk.click("#pdf")]);
    const dir = mkdtempSync(join(tmpdir(), "linli-pdf-"));
    const file = join(dir, "order.pdf");
    await download.saveAs(file);
    const pdf = readFileSync(file);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    // the photo and the two drawn signatures are pictures in it (poppler's pdfimages lists them: page, num, type, width, height)
    const images = execFileSync("pdfimages", ["-list", file], { encoding: "utf8" }).split("\n").slice(2).map((l) => l.trim().split(/\s+/)).filter((c) => c[2] === "image");
    expect(images.map((c) => `${c[3]}x${c[4]}`)).toContain("480x360");
    const drawn = orders.store!.get(orderId)!.signatures;
    for (const sig of drawn) {
      const { width, height } = await sharp(Buffer.from(sig.png, "base64")).metadata();
      expect(images.map((c) => `${c[3]}x${c[4]}`), `${sig.as}'s signature`).toContain(`${width}x${height}`);
    }
    execFileSync("pdftoppm", ["-png", "-r", "60", file, join(dir, "page")]);
    const pages = readdirSync(dir).filter((f) => f.startsWith("page") && f.endsWith(".png")).sort();
    expect(pages.length).toBeGreaterThanOrEqual(1);
    for (const [i, p] of pages.entries()) writeFileSync(join(artifacts, `orders-pdf-${i + 1}.png`), readFileSync(join(dir, p)));
    // and it renders: the last page, the signatures', is not blank
    const last = sharp(join(dir, pages.at(-1)!));
    const { width, height } = await last.metadata();
    const ink = await last.extract({ left: 0, top: 0, width: Math.round(width! / 2), height: Math.round(height! / 2) }).greyscale().raw().toBuffer();
    expect(ink.filter((v) => v < 60).length).toBeGreaterThan(200);
  });

  it("`linli orders verify` passes, and names the record when a signed one was changed in the database", async () => {
    const dataDir = a.gw.dataDir;
    const ok = await linli(["orders", "verify", "--data-dir", dataDir], { cwd: dataDir, timeoutMs: 30_000 });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ records of 1 work orders/);
    const done = orders.store!.history(orderId).find((r) => r.event === "done")!;
    const db = new Database(join(dataDir, "orders", "orders.db"));
    // the table refuses changes; someone editing the file drops the guard first
    expect(() => db.prepare("UPDATE order_records SET by = 'zhao' WHERE seq = ?").run(done.seq)).toThrow(/append-only/);
    db.exec("DROP TRIGGER order_records_no_update");
    db.prepare("UPDATE order_records SET data = replace(data, '继电器', '保险丝') WHERE seq = ?").run(done.seq);
    db.close();
    const broken = await linli(["orders", "verify", "--data-dir", dataDir], { cwd: dataDir, timeoutMs: 30_000 });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`record ${done.seq} (work order ${orderId}) was changed`);
  });
});
