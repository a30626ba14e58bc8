/**
 * Car parking occupancy against a real gateway: plate reads published over MQTT to its embedded
 * broker, the counts and lists in its SQLite store, the deny-list alert through the alerts feature,
 * and the /parking page in Debian chromium via playwright-core (screenshots in test-artifacts/).
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { MqttClient } from "mqtt";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { alertTypeModule } from "../gateway/alerts/rules/index.ts";
import type { Alert } from "../gateway/alerts/types.ts";
import { pointContext } from "../gateway/privacy.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const artifacts = resolve(import.meta.dirname, "../test-artifacts");
const SITE = "yard";
const SALT = "parking-test-salt";
const ADMIN = { user: "li", password: "admin correct horse", displayName: "李经理", role: "administrator" as const };
const GUARD = { user: "wang", password: "guard battery staple", displayName: "王师傅", role: "guard" as const };
/** what InfluxDB's gate_pass.subject holds for a plate under this site's privacy settings */
const stored = pointContext({ ids: "hash", salt: SALT }).protectId;

let seq = 0;
const plateRead = (plate: string, direction: "in" | "out", granted = true) => JSON.stringify({ eventId: `p-${++seq}`, direction, granted, confidence: 0.98, method: "plate", plate });
const residentPlate = (n: number) => `沪A${String(10000 + n)}`;

interface ParkingView {
  carParks: Array<{ id: string; cars: number; free: number }>;
  overstaying: Array<{ plate: string; kind: string; label: string; carPark: string }>;
  neverLeft: Array<{ plate: string }>;
  plates?: Array<{ plate: string; list: string }>;
}

describe.sequential("car parking occupancy (real gateway, MQTT, SQLite, Debian chromium)", () => {
  let gw: TestGateway;
  let devices: MqttClient;
  let browser: Browser;
  let page: Page;
  let admin: string;
  let guard: string;
  const alerts: Alert[] = [];

  const login = async (who: { user: string; password: string }) => {
    const res = await fetch(`${gw.httpUrl}/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ user: who.user, password: who.password }).toString(), redirect: "manual" });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
  };
  const post = (path: string, cookie: string | undefined, body: unknown) => fetch(`${gw.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  const view = async (cookie = admin): Promise<ParkingView> => (await fetch(`${gw.httpUrl}/api/parking`, { headers: { cookie } })).json() as Promise<ParkingView>;
  const carsIn = async (id: string) => (await view()).carParks.find((p) => p.id === id)!.cars;
  const until = async (what: () => Promise<boolean>, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const publish = (gate: string, payload: string) => devices.publishAsync(`linli/${SITE}/gate/${gate}/event`, payload, { qos: 1 });

  beforeAll(async () => {
    const accounts = await Promise.all([ADMIN, GUARD].map(async (a) => ({ user: a.user, passwordHash: await hashPassword(a.password), displayName: a.displayName, role: a.role })));
    gw = await startTestGateway({
      site: SITE,
      influx: { enabled: false },
      privacy: { ids: "hash", salt: SALT },
      alerts: { enabled: true, console: { accounts } },
      parking: {
        carParks: [
          { id: "B1", name: "地下车库", capacity: 600, gates: { "gate-car-1": "in", "gate-car-2": "out" } },
          { id: "E", name: "东门地面", capacity: 30, gates: { "gate-car-3": "both" } },
        ],
        visitorMaxStayHours: 4,
        // a few seconds, so cars that entered in this test count as never left before it ends
        neverLeftAfterHours: 0.001,
      },
    });
    gw.gateway.core.bus.on("alert.changed", (c) => alerts.push(c.alert));
    devices = await gw.client();
    admin = await login(ADMIN);
    guard = await login(GUARD);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it("answers nobody without a login, and lets only an administrator see or change the plate lists", async () => {
    expect((await fetch(`${gw.httpUrl}/api/parking`)).status).toBe(401);
    expect((await post("/api/parking/count", undefined, { carPark: "B1", cars: 1 })).status).toBe(401);
    expect((await post("/api/parking/plates", guard, { plate: "沪A00001", list: "resident" })).status).toBe(403);
    expect((await view(guard)).plates).toBeUndefined();
    expect((await view(admin)).plates).toEqual([]);
  });

  it("counts 500 entries and 480 exits as 20 cars inside; a refused car stays out of the count", async () => {
    for (let batch = 0; batch < 500; batch += 50)
      await Promise.all(Array.from({ length: 50 }, (_, i) => publish("gate-car-1", plateRead(residentPlate(batch + i), "in"))));
    for (let batch = 0; batch < 480; batch += 48)
      await Promise.all(Array.from({ length: 48 }, (_, i) => publish("gate-car-2", plateRead(residentPlate(batch + i), "out"))));
    await publish("gate-car-1", plateRead("沪A99999", "in", false));
    await until(async () => (await carsIn("B1")) === 20);
    const b1 = (await view()).carParks.find((p) => p.id === "B1")!;
    expect(b1).toMatchObject({ cars: 20, free: 580 });
    expect(await carsIn("E")).toBe(0);
    // past neverLeftAfterHours: exactly the 20 plates that never drove out, named as InfluxDB names them
    await new Promise((r) => setTimeout(r, 3_700));
    const neverLeft = (await view()).neverLeft.map((s) => s.plate).sort();
    expect(neverLeft).toEqual(Array.from({ length: 20 }, (_, i) => stored(residentPlate(480 + i))).sort());
  });

  it("raises parking_denied_plate when a car on the deny list is read at an entry, not at an exit", async () => {
    const listed = await post("/api/parking/plates", admin, { plate: "沪b 66666", list: "deny", label: "欠费" });
    expect(listed.status).toBe(200);
    // kept as gate_pass.subject keeps the same plate, whatever spacing and case staff typed
    expect(((await listed.json()) as { plate: string }).plate).toBe(stored("沪B66666"));
    await publish("gate-car-2", plateRead("沪B66666", "out", false));
    await publish("gate-car-1", plateRead("沪B66666", "in", false));
    await until(async () => alerts.some((a) => a.type === "parking_denied_plate"));
    const denied = alerts.filter((a) => a.type === "parking_denied_plate");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ state: "open", place: { site: SITE, kind: "gate", device: "gate-car-1" }, details: { carPark: "B1", plate: stored("沪B66666"), label: "欠费", granted: false } });
    expect(await carsIn("B1")).toBe(20);
    // the sentence the guard reads on the console and in the group-robot message
    const module = alertTypeModule.get("parking_denied_plate")!;
    expect(module.text(denied[0]!.details, "parking_denied_plate", "zh", "Asia/Shanghai")).toBe(`禁止名单车辆 ${stored("沪B66666")}（欠费） 在 B1 入口，道闸未放行`);
  });

  it("lists a visitor past its pass as overstaying, and not a resident who came in with it", async () => {
    expect((await post("/api/parking/plates", admin, { plate: "苏E12345", list: "visitor", label: "5-2-301 访客", validHours: 0.0005 })).status).toBe(200);
    expect((await post("/api/parking/plates", admin, { plate: "沪A55555", list: "resident", label: "3-1-201" })).status).toBe(200);
    await publish("gate-car-3", plateRead("苏E12345", "in"));
    await publish("gate-car-3", plateRead("沪A55555", "in"));
    await until(async () => (await carsIn("E")) === 2);
    await new Promise((r) => setTimeout(r, 2_000));
    const { overstaying, neverLeft } = await view();
    expect(overstaying).toEqual([expect.objectContaining({ plate: stored("苏E12345"), kind: "visitor", label: "5-2-301 访客", carPark: "E" })]);
    expect(neverLeft.map((s) => s.plate)).not.toContain(stored("沪A55555"));
  });

  it("sets the count to what staff counted, and counts on from there", async () => {
    const res = await post("/api/parking/count", guard, { carPark: "B1", cars: 18, note: "夜间盘点" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, carPark: "B1", cars: 18, previous: 20 });
    expect(await carsIn("B1")).toBe(18);
    await publish("gate-car-1", plateRead("沪A77777", "in"));
    await until(async () => (await carsIn("B1")) === 19);
    expect((await post("/api/parking/count", guard, { carPark: "nowhere", cars: 3 })).status).toBe(404);
    expect((await post("/api/parking/count", guard, { carPark: "B1", cars: -1 })).status).toBe(400);
  });

  it("shows the page in Chinese: counts, the overstaying visitor, a correction by the form, the lists; usable on a phone", async () => {
    await page.goto(`${gw.httpUrl}/parking?lang=zh`);
    await page.fill("#user", ADMIN.user);
    await page.fill("#password", ADMIN.password);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    expect(new URL(page.url()).pathname).toBe("/parking");
    await page.waitForSelector('li.park[data-park="B1"]');
    expect(await page.textContent('li.park[data-park="B1"]')).toContain("场内 19 / 600 辆");
    expect(await page.textContent('li.park[data-park="B1"]')).toContain("王师傅");
    expect(await page.textContent("#overstaying")).toContain("5-2-301 访客");
    expect(await page.textContent("#plates")).toContain("欠费");

    await page.fill('li.park[data-park="B1"] input[name="cars"]', "25");
    await page.fill('li.park[data-park="B1"] input[name="note"]', "早班盘点");
    await page.click('li.park[data-park="B1"] button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('li.park[data-park="B1"] .cars')?.textContent === "场内 25 / 600 辆");
    expect(await page.textContent("#count-status")).toBe("地下车库 已修正为 25 辆（原 19 辆）");
    expect(await carsIn("B1")).toBe(25);

    await page.fill("#plate", "浙C 88888");
    await page.selectOption("#list", "deny");
    await page.fill("#label", "曾撞坏道闸");
    await page.click('#plate-form button[type="submit"]');
    await page.waitForSelector(`#plates li[data-plate="${stored("浙C88888")}"]`);
    // the sticky header drawn where the page was scrolled to would cover the list in a full-page shot
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(artifacts, "parking-page-1080p.png"), fullPage: true });

    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(artifacts, "parking-page-phone.png"), fullPage: true });

    await page.goto(`${gw.httpUrl}/parking?lang=en`);
    await page.waitForSelector('li.park[data-park="E"]');
    expect(await page.textContent('li.park[data-park="E"]')).toContain("2 / 30 cars inside");
  });

  it("keeps the counts, the cars inside and the lists across a restart", async () => {
    const { dataDir } = gw;
    const config = gw.gateway.core.config;
    await gw.stop(true);
    gw = await startTestGateway({ site: SITE, influx: { enabled: false }, privacy: config.privacy, alerts: { enabled: true, console: { accounts: config.alerts.console.accounts } }, parking: config.parking }, dataDir);
    admin = await login(ADMIN);
    const after = await view();
    expect(after.carParks.map((p) => [p.id, p.cars])).toEqual([["B1", 25], ["E", 2]]);
    expect(after.overstaying.map((s) => s.plate)).toEqual([stored("苏E12345")]);
    expect(after.plates?.map((p) => p.list).sort()).toEqual(["deny", "deny", "resident", "visitor"]);
    // the denied plate still matches after the restart: the salt keeps its hash
    devices = await gw.client();
    alerts.length = 0;
    gw.gateway.core.bus.on("alert.changed", (c) => alerts.push(c.alert));
    await publish("gate-car-1", plateRead("浙C88888", "in", false));
    await until(async () => alerts.some((a) => a.type === "parking_denied_plate" && a.details.plate === stored("浙C88888")));
  });
});
