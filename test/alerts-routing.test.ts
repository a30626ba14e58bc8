import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { MqttClient } from "mqtt";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsConfigSchema } from "../gateway/alerts/config.ts";
import { minuteOfDay, Router } from "../gateway/alerts/routing.ts";
import type { Alert, AlertChange } from "../gateway/alerts/types.ts";
import { hashPassword } from "../gateway/console/auth.ts";
import { parseConfig } from "../gateway/config.ts";
import { startAlertsGateway, startReceiver, startWecomRobot, throwEvent, type AlertsGateway, type Received, type Receiver } from "./alerts-fixtures.ts";
import { waitFor } from "./services/ports.ts";

const TZ = "Asia/Shanghai";
const GUARD = { user: "guard1", password: "correct horse 1" };

const content = (r: Received) => (r.body as { markdown: { content: string } }).markdown.content;

/** How many alerts one WeCom message carries: a digest says how many in its title, a message of its own is one. */
function alertsIn(r: Received): number {
  const digest = /【告警汇总】\d+ 分钟内共 (\d+) 条 \/ Digest: (\d+) alerts/.exec(content(r));
  return digest ? Number(digest[1]) : 1;
}

async function login(a: AlertsGateway): Promise<string> {
  const res = await fetch(`${a.gw.httpUrl}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(GUARD).toString(),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return res.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
}

describe("pacing: a burst of 200 charger alarms to a WeCom group robot", () => {
  let robot: Awaited<ReturnType<typeof startWecomRobot>>;
  let a: AlertsGateway;
  let device: MqttClient;

  beforeAll(async () => {
    robot = await startWecomRobot();
    a = await startAlertsGateway(
      {
        webhooks: [{ type: "wecom", url: `${robot.url}/cgi-bin/webhook/send?key=k`, name: "security" }],
        // a real minute of budget; digests gather for 2 s instead of 10 so the test does not wait on them
        pacing: { digestEveryMs: 2_000 },
        publicUrl: "http://10.0.0.5:8080/",
        rules: { deviceSilent: false },
        console: { accounts: [{ user: GUARD.user, passwordHash: await hashPassword(GUARD.password) }] },
      },
      { influx: { enabled: false } },
    );
    device = await a.gw.client();
  });
  afterAll(async () => {
    await a?.stop();
    await robot?.close();
  });

  it("sends at most 20 messages in the minute, every alarm alone or counted in a digest, and shows it on the console and /metrics", async () => {
    const started = Date.now();
    // 20 chargers x 10 ports, each port over temperature: 200 separate alerts within a few seconds
    for (let c = 1; c <= 20; c++) {
      const id = `charger-${String(c).padStart(2, "0")}`;
      await Promise.all(
        Array.from({ length: 10 }, (_, p) =>
          device.publishAsync(`linli/demo/charger/${id}/alarm`, JSON.stringify({ ts: Date.now(), alarmId: `${id}-a${p}`, port: p + 1, type: "over_temp", value: 95, threshold: 90 }), { qos: 1 }),
        ),
      );
    }
    await waitFor("all 200 alerts stored", () => a.ext.store!.unresolved().length === 200, 10_000);
    await waitFor("every alarm accounted for at the robot", () => robot.received.reduce((n, r) => n + alertsIn(r), 0) >= 200, 20_000);
    const span = Date.now() - started;
    expect(span).toBeLessThan(60_000); // so everything the robot got came within one minute
    expect(robot.received.length).toBeLessThanOrEqual(20);
    expect(robot.refusals).toBe(0);
    expect(robot.problems).toEqual([]);
    expect(robot.received.reduce((n, r) => n + alertsIn(r), 0)).toBe(200);

    const digests = robot.received.filter((r) => alertsIn(r) > 1).map(content);
    expect(digests.length).toBeGreaterThan(0);
    const d = digests[0]!;
    // Chinese first, then English, then the link to the console
    expect(d).toMatch(/^## <font color="warning">【告警汇总】1 分钟内共 \d+ 条 \/ Digest: \d+ alerts in 1 min<\/font>\n> 充电桩过温（新告警）\d+ 条 · /);
    expect(d.indexOf("充电桩过温")).toBeLessThan(d.indexOf("Charger over-temperature"));
    expect(d).toMatch(/> \d+ × Charger over-temperature \(New alert\) · /);
    expect(d.endsWith("[打开安防控制台 / Open the security console](http://10.0.0.5:8080/)")).toBe(true);
    // the first alerts of the burst went on their own, in the usual format
    expect(content(robot.received[0]!)).toMatch(/^## <font color="warning">【严重】充电桩过温<\/font>\n> 事件: 新告警/);

    const cookie = await login(a);
    const res = await fetch(`${a.gw.httpUrl}/api/alerts/channels`, { headers: { cookie } });
    const { channels } = (await res.json()) as { channels: Array<Record<string, unknown>> };
    expect(channels).toEqual([expect.objectContaining({ name: "security", type: "wecom", perMinute: 20, queued: 0, failed: 0, failing: false })]);
    expect(Number(channels[0]!.sent) + Number(channels[0]!.digested)).toBe(200);
    expect(channels[0]!.sent).toBe(robot.received.filter((r) => alertsIn(r) === 1).length);
    expect((await fetch(`${a.gw.httpUrl}/api/alerts/channels`)).status).toBe(401);

    const metrics = await (await fetch(`${a.gw.httpUrl}/metrics`)).text();
    const count = (outcome: string) => Number(new RegExp(`linli_alert_channel_alerts_total\\{channel="security",outcome="${outcome}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count("sent") + count("digested")).toBe(200);
    expect(metrics).toMatch(/linli_alert_channel_queued\{channel="security"[^}]*\} 0/);
    expect(metrics).toMatch(/linli_alert_channel_failing\{channel="security"[^}]*\} 0/);
  });

  it("shows the channel's health on the console's Channels tab, and mutes a device from its alert card (Debian's chromium)", async () => {
    const artifacts = path.resolve(import.meta.dirname, "../test-artifacts");
    mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto(`${a.gw.httpUrl}/?lang=en`);
      await page.fill("#user", GUARD.user);
      await page.fill("#password", GUARD.password);
      await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
      const card = page.locator('article[data-type="charger_over_temp"]').first();
      await card.waitFor({ timeout: 10_000 });
      const device = await card.getAttribute("data-id").then((id) => a.ext.store!.get(id!)!.place.device);
      await card.locator(".mute-hours").selectOption("8");
      await card.locator("button.mute").click();
      await page.locator("#tab-channels").click();
      const row = page.locator('#channels tr[data-channel="security"]');
      await row.waitFor({ timeout: 5_000 });
      const health = a.ext.channelHealth()[0]!;
      expect(await row.locator(".sent").textContent()).toBe(String(health.sent));
      expect(await row.locator(".digested").textContent()).toBe(String(health.digested));
      expect(await row.locator(".queued").textContent()).toBe("0");
      expect(await row.locator(".healthy").textContent()).toBe("OK");
      await page.locator(`#mutes tr[data-device="${device}"]`).waitFor({ timeout: 5_000 });
      const mute = a.ext.mutes!.list().find((m) => m.device === device)!;
      expect(mute.until - mute.at).toBe(8 * 3_600_000);
      await page.screenshot({ path: path.join(artifacts, "console-channels.png"), fullPage: true });
      await page.locator(`#mutes tr[data-device="${device}"] button.unmute`).click();
      await expect.poll(() => a.ext.mutes!.list().some((m) => m.device === device)).toBe(false);
    } finally {
      await browser.close();
    }
  });
});

describe("mutes: a muted device's alerts are kept and shown, not sent; mute and unmute audited", () => {
  let robot: Receiver;
  let a: AlertsGateway;
  let device: MqttClient;

  beforeAll(async () => {
    robot = await startReceiver(() => ({ status: 200, body: { errcode: 0, errmsg: "ok" } }));
    a = await startAlertsGateway(
      {
        webhooks: [{ type: "wecom", url: `${robot.url}/cgi-bin/webhook/send?key=k`, name: "security" }],
        rules: { deviceSilent: false },
        dedupWindowMs: 0,
        console: { accounts: [{ user: GUARD.user, displayName: "王师傅", passwordHash: await hashPassword(GUARD.password) }] },
      },
      { influx: { enabled: false } },
    );
    device = await a.gw.client();
  });
  afterAll(async () => {
    await a?.stop();
    await robot?.close();
  });

  const post = (p: string, body: unknown, cookie?: string) => fetch(`${a.gw.httpUrl}${p}`, { method: "POST", headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  const sentFor = (device: string) => robot.received.filter((r) => content(r).includes(device));

  it("mutes throw-cam-07 for an hour: its throws are stored and on the console, marked muted, and no message goes out; unmuted, they go again", async () => {
    expect((await post("/api/alerts/mute", { device: "throw-cam-07", minutes: 60 })).status).toBe(401);
    const cookie = await login(a);
    expect((await post("/api/alerts/mute", { device: "throw-cam-07", minutes: 0 }, cookie)).status).toBe(400);
    const before = Date.now();
    const res = await post("/api/alerts/mute", { device: "throw-cam-07", minutes: 60, note: "镜头被树枝挡住" }, cookie);
    expect(res.status).toBe(200);
    const { mute } = (await res.json()) as { mute: { until: number } };
    expect(mute.until).toBeGreaterThanOrEqual(before + 3_600_000);

    await device.publishAsync("linli/demo/throw/throw-cam-07/event", JSON.stringify(throwEvent()), { qos: 1 });
    await device.publishAsync("linli/demo/throw/throw-cam-08/event", JSON.stringify(throwEvent()), { qos: 1 });
    // the unmuted camera's alert arrives; the muted one's, raised first, never does
    await waitFor("throw-cam-08's alert sent", () => sentFor("throw-cam-08").length === 1, 3_000);
    await a.ext.idle();
    expect(sentFor("throw-cam-07")).toHaveLength(0);
    const kept = a.ext.store!.unresolved().filter((x) => x.place.device === "throw-cam-07");
    expect(kept).toHaveLength(1);
    const listed = (await (await fetch(`${a.gw.httpUrl}/api/alerts`, { headers: { cookie } })).json()) as { alerts: Array<Alert & { muted: boolean }> };
    expect(listed.alerts.find((x) => x.place.device === "throw-cam-07")?.muted).toBe(true);
    expect(listed.alerts.find((x) => x.place.device === "throw-cam-08")?.muted).toBe(false);
    const mutes = (await (await fetch(`${a.gw.httpUrl}/api/alerts/mutes`, { headers: { cookie } })).json()) as { mutes: Array<{ device: string; by: string }> };
    expect(mutes.mutes).toEqual([expect.objectContaining({ device: "throw-cam-07", by: "王师傅 (guard1)", note: "镜头被树枝挡住" })]);
    const metrics = await (await fetch(`${a.gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/linli_alert_suppressed_total\{reason="muted"[^}]*\} 1/);

    expect((await post("/api/alerts/unmute", { device: "throw-cam-07" }, cookie)).status).toBe(200);
    expect((await post("/api/alerts/unmute", { device: "throw-cam-07" }, cookie)).status).toBe(404);
    await device.publishAsync("linli/demo/throw/throw-cam-07/event", JSON.stringify(throwEvent({ floor: 3 })), { qos: 1 });
    await waitFor("throw-cam-07's next alert sent", () => sentFor("throw-cam-07").length === 1, 3_000);

    const audit = (await readFile(path.join(a.gw.dataDir, "alerts", "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toEqual([
      expect.objectContaining({ event: "mute", device: "throw-cam-07", by: "王师傅 (guard1)", until: mute.until, note: "镜头被树枝挡住" }),
      expect.objectContaining({ event: "unmute", device: "throw-cam-07", by: "王师傅 (guard1)", until: mute.until }),
    ]);
    expect(Number(audit[0]!.at)).toBeGreaterThanOrEqual(before);
  });
});

/** "HH:MM-HH:MM" around (or away from) the current time of day in the site's zone, so a live gateway's routing can be checked now. */
function hoursAround(offsetMin: number, lengthMin: number): string {
  const fmt = (m: number) => {
    const x = ((m % 1_440) + 1_440) % 1_440;
    return `${String(Math.floor(x / 60)).padStart(2, "0")}:${String(x % 60).padStart(2, "0")}`;
  };
  const now = minuteOfDay(Date.now(), TZ);
  return `${fmt(now + offsetMin)}-${fmt(now + offsetMin + lengthMin)}`;
}

describe("routing by type, building and time of day, and quiet hours", () => {
  const robots: Record<string, Receiver> = {};
  let a: AlertsGateway;
  let device: MqttClient;

  beforeAll(async () => {
    for (const name of ["security", "shed", "liftco", "night", "building12"]) robots[name] = await startReceiver(() => ({ status: 200, body: { errcode: 0, errmsg: "ok" } }));
    const hook = (name: string) => ({ type: "wecom" as const, url: `${robots[name]!.url}/cgi-bin/webhook/send?key=k`, name });
    a = await startAlertsGateway(
      {
        timeZone: TZ,
        webhooks: ["security", "shed", "liftco", "night", "building12"].map(hook),
        severity: { charger: "warning" },
        routes: [
          { name: "throws, all hours", types: ["throw"], to: ["security"] },
          { name: "charger alarms", types: ["charger_*"], to: ["shed", "security"] },
          { name: "lift faults by day", types: ["lift_fault"], hours: hoursAround(-60, 120), to: ["liftco"] },
          { name: "throws at another time of day", types: ["throw"], hours: hoursAround(120, 60), to: ["night"] },
          { name: "building 12's own group", buildings: ["12"], to: ["building12"] },
        ],
        // over-current alarms are warnings here, and quiet now
        quietHours: [{ hours: hoursAround(-30, 60), maxSeverity: "warning", types: ["charger_over_current"] }],
        rules: { deviceSilent: false, liftFaultGraceMs: 0 },
        console: { enabled: false },
      },
      { influx: { enabled: false } },
    );
    device = await a.gw.client();
  });
  afterAll(async () => {
    await a?.stop();
    await Promise.all(Object.values(robots).map((r) => r.close()));
  });

  const got = (name: string) => robots[name]!.received.map(content);

  it("sends each alert to the groups its rules name, at the hours they name, and keeps quiet ones off every group", async () => {
    await device.publishAsync("linli/demo/throw/throw-cam-01/event", JSON.stringify(throwEvent({ building: "12" })), { qos: 1 });
    await device.publishAsync("linli/demo/throw/throw-cam-02/event", JSON.stringify(throwEvent({ building: "3" })), { qos: 1 });
    await device.publishAsync("linli/demo/charger/charger-03/alarm", JSON.stringify({ ts: Date.now(), alarmId: "x1", port: 2, type: "over_temp", value: 93, threshold: 90 }), { qos: 1 });
    await device.publishAsync("linli/demo/charger/charger-04/alarm", JSON.stringify({ ts: Date.now(), alarmId: "x2", port: 1, type: "over_current", value: 30, threshold: 25 }), { qos: 1 });
    a.gw.gateway.core.bus.emit("lift.alert", { site: "demo", lift: "lift-05", ts: Date.now(), kind: "hold_write_failed", severity: "warning", message: "controller did not take the lease" });
    await waitFor("five alerts stored", () => a.ext.store!.unresolved().length === 5, 3_000);
    await a.ext.idle();

    expect(got("security").map((c) => c.split("\n")[0])).toEqual([
      '## <font color="warning">【严重】高空抛物</font>',
      '## <font color="warning">【严重】高空抛物</font>',
      '## <font color="warning">【警告】充电桩过温</font>',
    ]);
    expect(got("shed")).toHaveLength(1);
    expect(got("shed")[0]).toContain("charger-03");
    expect(got("liftco")).toHaveLength(1);
    expect(got("liftco")[0]).toContain("lift-05");
    expect(got("night")).toEqual([]);
    expect(got("building12")).toHaveLength(1);
    expect(got("building12")[0]).toContain("12号楼");
    // the quiet over-current alarm is stored, and went nowhere
    expect(a.ext.store!.unresolved().some((x) => x.type === "charger_over_current")).toBe(true);
    expect(Object.values(robots).flatMap((r) => r.received.map(content)).some((c) => c.includes("charger-04"))).toBe(false);
  });

  it("chooses by the time of day in the site's zone, across midnight too", () => {
    const cfg = alertsConfigSchema.parse({
      timeZone: TZ,
      webhooks: [{ type: "json", url: "http://127.0.0.1/l", name: "liftco" }, { type: "json", url: "http://127.0.0.1/n", name: "night" }],
      routes: [
        { types: ["lift_fault"], hours: "08:00-18:00", to: ["liftco"] },
        { types: ["lift_*"], hours: "22:00-07:00", to: ["night"] },
      ],
      quietHours: [{ hours: "23:00-06:30", types: ["device_silent"] }],
    });
    const router = new Router(cfg);
    const at = (hhmm: string, type: Alert["type"] = "lift_fault", severity: Alert["severity"] = "warning"): AlertChange => {
      // 2026-12-03 in Shanghai (UTC+8)
      const ts = Date.parse(`2026-12-03T${hhmm}:00+08:00`);
      return { event: "opened", at: ts, alert: { id: "al-1", dedupKey: "k", type, severity, state: "open", place: { site: "demo", device: "lift-01" }, summary: "", details: {}, evidence: [], count: 1, createdAt: ts, lastAt: ts } };
    };
    expect([...router.channelsFor(at("08:00"))!]).toEqual(["liftco"]);
    expect([...router.channelsFor(at("17:59"))!]).toEqual(["liftco"]);
    expect([...router.channelsFor(at("18:00"))!]).toEqual([]);
    expect([...router.channelsFor(at("23:30"))!]).toEqual(["night"]);
    expect([...router.channelsFor(at("06:59"))!]).toEqual(["night"]);
    expect(router.quiet(at("03:00", "device_silent", "info"))).toBe(true);
    expect(router.quiet(at("03:00", "device_silent", "warning"))).toBe(false);
    expect(router.quiet(at("07:00", "device_silent", "info"))).toBe(false);
    expect(new Router(alertsConfigSchema.parse({})).channelsFor(at("12:00"))).toBeUndefined();
  });

  it("refuses at start a rule that names a webhook or an alert type that does not exist, naming the key", () => {
    const start = (alerts: Record<string, unknown>) => () => parseConfig({ alerts }, {});
    const webhooks = [{ type: "wecom", url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", name: "security" }];
    expect(start({ webhooks, routes: [{ types: ["throw"], to: ["securty"] }] })).toThrow(/alerts\.routes\.0\.to\.0: no webhook named securty/);
    expect(start({ webhooks, routes: [{ types: ["thorw"], to: ["security"] }] })).toThrow(/alerts\.routes\.0\.types\.0: no alert type thorw/);
    expect(start({ webhooks, routes: [{ hours: "8-18", to: ["security"] }] })).toThrow(/alerts\.routes\.0\.hours: expected HH:MM-HH:MM/);
    expect(start({ webhooks, quietHours: [{ hours: "22:00-07:00", maxSeverity: "loud" }] })).toThrow(/alerts\.quietHours\.0\.maxSeverity/);
    expect(start({ webhooks, routes: [{ to: ["security"] }] })).not.toThrow();
  });
});
