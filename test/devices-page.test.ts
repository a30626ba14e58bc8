/**
 * The devices page and the availability topics, against a real gateway on a real Mosquitto: a
 * small simulated compound (two lifts, a charger, a gate) publishes over MQTT; the lifts go quiet
 * past their (shortened) silentAfterMs and come back. The page is read in Debian chromium via
 * playwright-core, the retained availability topics with mosquitto_sub.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { MqttClient } from "mqtt";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import type { Rejection } from "../gateway/events.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { startMosquitto, type Mosquitto } from "./services/mosquitto.ts";
import { tempDir } from "./services/process.ts";

const run = promisify(execFile);
const artifacts = resolve(import.meta.dirname, "../test-artifacts");
const SITE = "yard";
const GUARD = { user: "wang", password: "guard battery staple", displayName: "王师傅" };
/** short enough for a quick test, long enough that a lift publishing every 300 ms never looks quiet */
const LIFT_SILENT_MS = 1_500;

const liftState = (floor: number) => JSON.stringify({ floor, door: "open", moving: false, direction: "none", mode: "normal" });
const telemetry = JSON.stringify({
  ports: [
    { port: 1, state: "charging", voltageV: 48.2, currentA: 3.1, powerW: 150, energyWh: 1200, tempC: 41.5 },
    { port: 2, state: "idle", voltageV: 0, currentA: 0, powerW: 0, energyWh: 800, tempC: 23 },
  ],
});
const pass = (n: number, granted: boolean) => JSON.stringify({ eventId: `g1-${n}`, direction: "in", granted, confidence: 0.97, method: "card", personId: `p-${n}` });

/** The retained availability of every device of a kind, as another system subscribing would read it. */
async function availability(broker: { port: number }, kind: string, expected: number, waitS = 5): Promise<Record<string, string>> {
  const args = ["-h", "127.0.0.1", "-p", String(broker.port), "-t", `linli/${SITE}/${kind}/+/availability`, "-v", "-C", String(expected), "-W", String(waitS)];
  // mosquitto_sub exits 27 when -W runs out before -C messages came: what it printed is still the answer
  const stdout = await run("mosquitto_sub", args).then(
    (r) => r.stdout,
    (err: { code?: unknown; stdout?: string }) => {
      if (err.code !== 27) throw err;
      return err.stdout ?? "";
    },
  );
  if (stdout.trim() === "") return {};
  return Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((line) => line.split(" ") as [string, string])
      .map(([topic, payload]) => [topic.split("/")[3], payload]),
  );
}

/** Retained messages stay until replaced: poll mosquitto_sub until the topics say what is expected. */
async function availabilityBecomes(broker: { port: number }, kind: string, expected: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last: Record<string, string> = {};
  while (Date.now() < deadline) {
    last = await availability(broker, kind, Object.keys(expected).length);
    if (JSON.stringify(last, Object.keys(expected).sort()) === JSON.stringify(expected, Object.keys(expected).sort())) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(last).toEqual(expected);
}

async function stateOf(page: Page, id: string): Promise<string | null> {
  return page.getAttribute(`li.device[data-id="${id}"]`, "data-state");
}

async function waitForStates(page: Page, states: Record<string, string>): Promise<void> {
  await page.waitForFunction(
    (want) => Object.entries(want).every(([id, s]) => document.querySelector(`li.device[data-id="${id}"]`)?.getAttribute("data-state") === s),
    states,
    { timeout: 12_000 },
  );
}

describe.sequential("devices page and availability topics (real Mosquitto, Debian chromium)", () => {
  let broker: Mosquitto;
  let gw: TestGateway;
  let url: string;
  let browser: Browser;
  let page: Page;
  let devices: MqttClient;
  let lifts: NodeJS.Timeout | undefined;
  let charger: NodeJS.Timeout | undefined;
  const rejections: Rejection[] = [];

  const liftsTalk = (floor: number) => {
    lifts = setInterval(() => {
      void devices.publishAsync(`linli/${SITE}/lift/L1/state`, liftState(floor), { qos: 1 });
      void devices.publishAsync(`linli/${SITE}/lift/L2/state`, liftState(floor + 1), { qos: 1 });
    }, 300);
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    // the registry lists the two lifts, a third lift that never speaks, and a throw camera not heard yet
    const registry = join(tempDir("registry"), "devices.yaml");
    writeFileSync(registry, `devices:\n${["L1:lift", "L2:lift", "L3:lift", "T1:throw"].map((d) => `  - { id: ${d.split(":")[0]}, kind: ${d.split(":")[1]}, site: ${SITE} }`).join("\n")}\n`);
    gw = await startTestGateway({
      site: SITE,
      influx: { enabled: false },
      security: { registry },
      broker: { mode: "external", url: broker.url, clientId: "linli-devices-test", sessionExpirySec: 0 },
      alerts: {
        enabled: true,
        rules: { silentAfterMs: { lift: LIFT_SILENT_MS }, silentCheckMs: 200 },
        console: { accounts: [{ user: GUARD.user, passwordHash: await hashPassword(GUARD.password), displayName: GUARD.displayName, role: "guard" }] },
      },
      devicesPage: { checkMs: 200, grafanaUrl: "http://grafana.yard.local:3000", places: { L1: { building: "3", label: "1单元" }, L2: { building: "5" } } },
    });
    url = gw.httpUrl;
    gw.gateway.core.bus.on("device.rejected", (r) => rejections.push(r));
    devices = await gw.client();
    liftsTalk(7);
    charger = setInterval(() => void devices.publishAsync(`linli/${SITE}/charger/C1/telemetry`, telemetry, { qos: 1 }), 300);
    for (const [n, granted] of [[1, true], [2, true], [3, false]] as const) await devices.publishAsync(`linli/${SITE}/gate/G1/event`, pass(n, granted), { qos: 1 });
    // a lift camera with a wrong firmware field: refused, and shown against the lift
    await devices.publishAsync(`linli/${SITE}/lift/L1/state`, JSON.stringify({ floor: 7, door: "ajar", moving: false, direction: "none", mode: "normal" }), { qos: 1 });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    clearInterval(lifts);
    clearInterval(charger);
    await browser?.close();
    await gw?.stop();
    await broker?.stop();
  });

  it("answers nobody without a login: the API and assets are 401, the page is the sign-in form", async () => {
    expect((await fetch(`${url}/api/devices`)).status).toBe(401);
    for (const path of ["/devices.js", "/devices.css"]) expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    const res = await fetch(`${url}/devices`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/login"');
    expect(html).not.toContain("devices.js");
  });

  it("lists every device online with its place, last values and rejects, in Chinese", async () => {
    await page.goto(`${url}/devices?lang=zh`);
    await page.fill("#user", GUARD.user);
    await page.fill("#password", GUARD.password);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    expect(new URL(page.url()).pathname).toBe("/devices");
    await waitForStates(page, { L1: "online", L2: "online", C1: "online", G1: "online" });
    await page.waitForFunction(() => document.querySelector('li.device[data-id="L1"] .rejects') !== null, undefined, { timeout: 8_000 });
    const l1 = await page.textContent('li.device[data-id="L1"]');
    expect(l1).toContain("在线");
    expect(l1).toContain("3号楼 · 1单元");
    expect(l1).toContain("7 层");
    expect(l1).toContain("近一小时拒收 1 条：字段不符 1");
    expect(l1).toContain("door");
    expect(await page.textContent('li.device[data-id="C1"]')).toContain("充电中 1/2 口");
    expect(await page.textContent('li.device[data-id="G1"]')).toContain("今日通行 3 次（拒绝 1）");
    expect(await page.getAttribute('li.device[data-id="L1"] a', "href")).toBe("http://grafana.yard.local:3000/d/linli-lifts?var-site=yard");
    expect(await page.textContent("#summary")).toMatch(/^共 6 台 · 在线 4 · /);
    // listed but not heard yet: its kind's limit (throw cameras: 180 s) has not passed since the start
    expect(await stateOf(page, "T1")).toBe("unknown");
    expect(await page.textContent('li.device[data-id="T1"]')).toContain("网关启动以来未收到消息");
    expect(await page.textContent('li.device[data-id="C1"]')).toContain("不在设备登记表中");
    expect(await page.textContent('li.device[data-id="L1"]')).not.toContain("不在设备登记表中");
    // the lift the registry lists and that never spoke goes offline once a lift's limit has passed
    await availabilityBecomes(broker, "lift", { L1: "online", L2: "online", L3: "offline" });
    expect(await availability(broker, "throw", 1, 1)).toEqual({});
  });

  it("shows both silent lifts offline, says so on their retained availability topics, and keeps the charger online", async () => {
    clearInterval(lifts);
    await waitForStates(page, { L1: "offline", L2: "offline", L3: "offline", C1: "online", G1: "online", T1: "unknown" });
    expect(await page.textContent("#summary")).toBe("共 6 台 · 在线 2 · 离线 3 · 未知 1");
    // what is offline comes first
    expect(await page.$$eval("li.device", (els) => els.map((e) => e.getAttribute("data-id")))).toEqual(["L1", "L2", "L3", "T1", "C1", "G1"]);
    expect(await page.textContent('li.device[data-id="L2"]')).toContain("离线");
    await page.screenshot({ path: resolve(artifacts, "devices-page-offline-1080p.png"), fullPage: true });
    await availabilityBecomes(broker, "lift", { L1: "offline", L2: "offline", L3: "offline" });
    await availabilityBecomes(broker, "charger", { C1: "online" });

    // the offline filter on a phone: only the two lifts
    await page.setViewportSize({ width: 360, height: 740 });
    await page.click('#state button[data-state="offline"]');
    expect(await page.$$eval("li.device", (els) => els.map((e) => e.getAttribute("data-id")))).toEqual(["L1", "L2", "L3"]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: resolve(artifacts, "devices-page-offline-phone.png"), fullPage: true });
    await page.fill("#search", "5号楼");
    expect(await page.$$eval("li.device", (els) => els.map((e) => e.getAttribute("data-id")))).toEqual(["L2"]);
    await page.fill("#search", "no-such-device");
    expect(await page.isVisible("#empty")).toBe(true);
    expect(await page.textContent("#empty-text")).toBe("没有符合筛选条件的设备");
    await page.click("#clear");
    expect(await page.$$eval("li.device", (els) => els.length)).toBe(6);
  });

  it("brings them back online when they speak again, on the page and on the topics", async () => {
    liftsTalk(9);
    await availabilityBecomes(broker, "lift", { L1: "online", L2: "online", L3: "offline" });
    await waitForStates(page, { L1: "online", L2: "online", L3: "offline" });
    expect(await stateOf(page, "C1")).toBe("online");
    // the gateway's own availability messages come back through its subscription: never device input
    expect(rejections.filter((r) => r.topic.endsWith("/availability"))).toEqual([]);
  });

  it("reads the same page in English", async () => {
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${url}/devices?lang=en`);
    await waitForStates(page, { L1: "online", C1: "online" });
    expect(await page.textContent('li.device[data-id="L1"]')).toContain("Building 3 · 1单元");
    expect(await page.textContent('li.device[data-id="G1"]')).toContain("3 passes today (1 refused)");
    await page.screenshot({ path: resolve(artifacts, "devices-page-en-1080p.png"), fullPage: true });
  });
});

describe("devices page before any device (embedded broker)", () => {
  it("says plainly that there are no devices yet, then shows the first one and its availability", async () => {
    const gw = await startTestGateway({
      site: SITE,
      alerts: { enabled: true, console: { accounts: [{ user: GUARD.user, passwordHash: await hashPassword(GUARD.password), displayName: GUARD.displayName, role: "guard" }] } },
    });
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
      await page.goto(`${gw.httpUrl}/devices?lang=zh`);
      await page.fill("#user", GUARD.user);
      await page.fill("#password", GUARD.password);
      await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
      await page.waitForFunction(() => (document.getElementById("summary")?.textContent ?? "") !== "", undefined, { timeout: 8_000 });
      expect(await page.isVisible("#empty")).toBe(true);
      expect(await page.textContent("#empty-text")).toContain("还没有设备");
      expect(await page.isVisible("#clear")).toBe(false);
      expect(await page.textContent("#summary")).toBe("共 0 台 · 在线 0 · 离线 0 · 未知 0");
      await page.screenshot({ path: resolve(artifacts, "devices-page-empty-phone.png"), fullPage: true });
      // the first device speaks: on the page at the next poll, and on the embedded broker's retained topic
      const lift = await gw.client();
      await lift.publishAsync(`linli/${SITE}/lift/L1/state`, liftState(4), { qos: 1 });
      await waitForStates(page, { L1: "online" });
      expect(await page.isVisible("#empty")).toBe(false);
      await availabilityBecomes({ port: Number(new URL(gw.brokerUrl).port) }, "lift", { L1: "online" });
    } finally {
      await browser.close();
      await gw.stop();
    }
  }, 30_000);
});

describe("availability across a gateway restart (real Mosquitto)", () => {
  it("turns a retained `online` to `offline` when the device died while the gateway was away", async () => {
    const broker = await startMosquitto();
    const config = {
      site: SITE,
      influx: { enabled: false },
      broker: { mode: "external" as const, url: broker.url, clientId: "linli-restart-test", sessionExpirySec: 0 },
      alerts: { enabled: false, rules: { silentAfterMs: { lift: LIFT_SILENT_MS } } },
      devicesPage: { checkMs: 200 },
    };
    let gw = await startTestGateway(config);
    try {
      const lift = await gw.client();
      await lift.publishAsync(`linli/${SITE}/lift/L9/state`, liftState(2), { qos: 1 });
      await availabilityBecomes(broker, "lift", { L9: "online" });
      await gw.stop(true);
      // the lift dies while no gateway runs; the next one remembers it from its data dir
      gw = await startTestGateway(config, gw.dataDir);
      expect(await availability(broker, "lift", 1)).toEqual({ L9: "online" });
      await availabilityBecomes(broker, "lift", { L9: "offline" });
    } finally {
      await gw.stop();
      await broker.stop();
    }
  }, 30_000);
});
