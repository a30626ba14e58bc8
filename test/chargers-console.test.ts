/**
 * Staff cut a charger's port from its alert card in the security console, in a real chromium, on a
 * real gateway (embedded broker): the simulated charger on the broker receives the sealed command.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ui } from "../gateway/alerts/console/strings.ts";
import { chargersFeature } from "../gateway/chargers/feature.ts";
import { hashPassword } from "../gateway/console/auth.ts";
import { eventually, SimCharger } from "./chargers-fixtures.ts";
import { waitFor } from "./lift-helpers.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const SITE = "shed";
const GUARD = { user: "zhao", password: "guard battery charger" };
const TECHNICIAN = { user: "li", password: "technician fixes lamps" };
const artifacts = path.resolve(import.meta.dirname, "../test-artifacts");

let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  gw = await startTestGateway({
    site: SITE,
    influx: { enabled: false },
    alerts: { enabled: true, rules: { deviceSilent: false }, console: { accounts: [{ user: GUARD.user, passwordHash: await hashPassword(GUARD.password) }, { user: TECHNICIAN.user, passwordHash: await hashPassword(TECHNICIAN.password), role: "technician" }] } },
    chargers: { enabled: true },
  });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

it("'port off' on a charger alert card sends port_off for that port; 'port on' sends port_on; both audited with the login", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-09");
  // over_current raises an alert but is not a cut-on alarm by default: whatever reaches the charger, staff sent
  await sim.alarm({ alarmId: "a-9", type: "over_current", port: 5, value: 31, threshold: 25 });

  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await page.goto(`${gw.httpUrl}/?lang=en`);
  await page.fill("#user", GUARD.user);
  await page.fill("#password", GUARD.password);
  await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
  const card = page.locator('article[data-type="charger_over_current"]');
  await card.waitFor({ timeout: 10_000 });
  // a card for a place without a port (a lift, a camera) has no port buttons; this one has both
  expect(await card.locator(".port-off").textContent()).toBe(ui.portOff.en);
  expect(sim.received).toHaveLength(0);

  await card.locator(".port-off").click();
  await waitFor("the charger received port_off", () => sim.received[0], 5_000);
  expect(sim.received[0]!.body).toMatchObject({ cmd: "port_off", port: 5, reason: "staff" });
  expect(sim.received[0]!.verdict.ok).toBe(true);
  await expect.poll(() => card.locator(".summary").textContent()).toBe(ui.portOffSent.en);
  await page.screenshot({ path: path.join(artifacts, "console-charger-port.png"), fullPage: true });

  await card.locator(".port-on").click();
  await waitFor("the charger received port_on", () => sim.received[1], 5_000);
  expect(sim.received[1]!.body).toMatchObject({ cmd: "port_on", port: 5, reason: "staff" });

  const audit = await eventually("both acked", async () => {
    await gw.gateway.feature(chargersFeature)!.flushed();
    const lines = (await readFile(path.join(gw.dataDir, "chargers", "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    return lines.filter((e) => e.event === "ack").length === 2 && lines;
  });
  expect(audit.filter((e) => e.event === "command").map((e) => [e.cmd, e.port, e.by])).toEqual([
    ["port_off", 5, GUARD.user],
    ["port_on", 5, GUARD.user],
  ]);
}, 30_000);

it("a technician's login cannot cut a port: that is the guard room's (403), and nothing reaches the charger", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-10");
  const login = await fetch(`${gw.httpUrl}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ user: TECHNICIAN.user, password: TECHNICIAN.password }).toString() });
  expect(login.status).toBe(303);
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
  const res = await fetch(`${gw.httpUrl}/api/chargers/c-10/ports/2/off`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: "{}" });
  expect(res.status).toBe(403);
  await new Promise((r) => setTimeout(r, 300));
  expect(sim.received).toHaveLength(0);
});
