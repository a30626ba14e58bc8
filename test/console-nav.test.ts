/**
 * The one console navigation, in Debian chromium via playwright-core, against a real gateway on an
 * empty site (nothing heard, nothing configured): alerts, devices, parking, work orders and labelling
 * on. Signed in as an administrator, a guard and a technician, every page draws the same navigation
 * with exactly the links the role may open; clicking through lands on each page with its link marked;
 * at 360 px nothing scrolls sideways and every link is a finger's height; at 1080p the navigation is
 * one row; the language toggle stays on the page; and each page says plainly that it is empty.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { devicesPageFeature } from "../gateway/devices-page/feature.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { may } from "../gateway/staff/roles.ts";
import { testCore } from "./core.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const artifacts = resolve(import.meta.dirname, "../test-artifacts");
const PASSWORD = "correct horse battery";
const ADMIN = { user: "zhang", displayName: "张经理", role: "administrator" } as const;
const GUARD = { user: "wang", displayName: "王师傅", role: "guard" } as const;
const TECHNICIAN = { user: "li", displayName: "李师傅", role: "technician" } as const;

type Key = "alerts" | "devices" | "parking" | "orders" | "learning" | "accounts";
const PATHS: Record<Key, string> = { alerts: "/", devices: "/devices", parking: "/parking", orders: "/orders", learning: "/learning", accounts: "/console/users" };
const LABELS: Record<Key, { zh: string; en: string }> = {
  alerts: { zh: "告警", en: "Alerts" },
  devices: { zh: "设备", en: "Devices" },
  parking: { zh: "停车", en: "Parking" },
  orders: { zh: "工单", en: "Work orders" },
  learning: { zh: "标注", en: "Labelling" },
  accounts: { zh: "账号", en: "Accounts" },
};
/** what each role may open in this gateway, in the navigation's order */
const SEES: Record<"administrator" | "guard" | "technician", Key[]> = {
  administrator: ["alerts", "devices", "parking", "orders", "learning", "accounts"],
  guard: ["alerts", "devices", "parking", "learning"],
  technician: ["devices", "parking", "orders"],
};

/** What each page says on an empty gateway, in each language, and where. */
const EMPTY: Record<Exclude<Key, "accounts">, { selector: string; zh: string; en: string }> = {
  alerts: { selector: "#empty", zh: "一切正常", en: "All clear" },
  devices: { selector: "#empty-text", zh: "还没有设备", en: "No devices yet" },
  parking: { selector: "#no-parks", zh: "尚未配置车场", en: "No car park configured yet" },
  orders: { selector: "#empty", zh: "暂无工单", en: "No work orders yet" },
  learning: { selector: "#stage-empty", zh: "暂无需要标注的画面", en: "Nothing to label yet" },
};

/** Waits until a page's script has filled it in (the navigation itself is drawn by the server). */
async function ready(page: Page, key: Key): Promise<void> {
  if (key === "accounts") return void (await page.waitForSelector("#accounts tbody tr"));
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return el !== null && !el.closest("[hidden]") && (el.textContent ?? "").trim() !== "";
  }, EMPTY[key].selector, { timeout: 10_000 });
}

/** The navigation as a user reads it: the links in order, which is marked current, who is signed in. */
async function navOf(page: Page) {
  return page.evaluate(() => {
    const links = [...document.querySelectorAll<HTMLAnchorElement>("header.console-nav nav a")];
    return {
      ids: links.map((a) => a.id),
      texts: links.map((a) => a.textContent),
      current: links.filter((a) => a.getAttribute("aria-current") === "page").map((a) => a.id),
      user: document.querySelector("header.console-nav .user")?.textContent,
      role: document.querySelector("header.console-nav .role")?.textContent,
      lang: document.documentElement.lang,
    };
  });
}

describe.sequential("one console navigation across every page (Debian chromium)", () => {
  let gw: TestGateway;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function signedIn(who: { user: string }, viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ viewport, ...(viewport.width <= 400 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${gw.httpUrl}/login?lang=zh`);
    await page.fill("#user", who.user);
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    return page;
  }

  beforeAll(async () => {
    const passwordHash = await hashPassword(PASSWORD);
    gw = await startTestGateway({
      site: "nav",
      influx: { enabled: false },
      alerts: { enabled: true, rules: { deviceSilent: false }, console: { language: "zh", accounts: [ADMIN, GUARD, TECHNICIAN].map((a) => ({ ...a, passwordHash })) } },
      learning: { enabled: true },
      orders: { enabled: true },
      parking: { enabled: true },
      devicesPage: { enabled: true },
      // off here, so the navigation shows it only once it is registered (the last tests)
      reports: { enabled: false },
    });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await gw?.stop();
  });

  for (const who of [ADMIN, GUARD, TECHNICIAN]) {
    it(`${who.role}: every page shows exactly the links the role may open, and each link lands on its page, marked current`, async () => {
      const page = await signedIn(who, { width: 1920, height: 1080 });
      const sees = SEES[who.role];
      // `/` is the guard room; a role without one lands on its first page
      expect(new URL(page.url()).pathname).toBe(who.role === "technician" ? "/orders" : "/");
      for (const key of sees) {
        await Promise.all([page.waitForURL((u) => u.pathname === PATHS[key]), page.click(`#nav-${key}`)]);
        await ready(page, key);
        const nav = await navOf(page);
        expect(nav.ids).toEqual(sees.map((k) => `nav-${k}`));
        expect(nav.texts).toEqual(sees.map((k) => LABELS[k].zh));
        expect(nav.current).toEqual([`nav-${key}`]);
        expect([nav.user, nav.role]).toEqual([who.displayName, { administrator: "管理员", guard: "保安", technician: "维修工" }[who.role]]);
        // one row on a 1080p screen: every link and the signed-in part share the top line
        const middles = await page.locator("header.console-nav nav a, header.console-nav .who").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2));
        expect(Math.max(...middles) - Math.min(...middles)).toBeLessThanOrEqual(2);
        await page.screenshot({ path: resolve(artifacts, `console-nav-${who.role}-${key}-1080p.png`) });
      }
    });
  }

  it("the server still refuses what a role may not open, whatever the navigation shows", async () => {
    const guard = await signedIn(GUARD, { width: 1920, height: 1080 });
    expect((await guard.goto(`${gw.httpUrl}/orders`))!.status()).toBe(403);
    expect((await guard.goto(`${gw.httpUrl}/console/users`))!.status()).toBe(403);
    const technician = await signedIn(TECHNICIAN, { width: 1920, height: 1080 });
    expect((await technician.request.get(`${gw.httpUrl}/learning.js`)).status()).toBe(403);
    expect((await technician.request.get(`${gw.httpUrl}/api/alerts`)).status()).toBe(403);
  });

  it("at 360 px no page scrolls sideways, and every link is reachable and at least 44 px tall", async () => {
    for (const who of [ADMIN, GUARD]) {
      const page = await signedIn(who, { width: 360, height: 740 });
      for (const lang of ["zh", "en"] as const) {
        for (const key of SEES[who.role]) {
          await page.goto(`${gw.httpUrl}${PATHS[key]}?lang=${lang}`);
          await ready(page, key);
          expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), `${who.role} ${key} ${lang}`).toBeLessThanOrEqual(360);
          const boxes = await page.locator("header.console-nav nav a, header.console-nav .lang, header.console-nav .sign-out").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
          expect(boxes).toHaveLength(SEES[who.role].length + 2);
          for (const b of boxes) {
            expect(b.height).toBeGreaterThanOrEqual(44);
            expect(b.left).toBeGreaterThanOrEqual(0);
            expect(b.right).toBeLessThanOrEqual(360);
          }
          await expect(page.locator(`#nav-${key}`).getAttribute("aria-current")).resolves.toBe("page");
          await page.screenshot({ path: resolve(artifacts, `console-nav-${who.role}-${key}-360-${lang}.png`) });
        }
      }
      // a tap on a link, the way a phone does it
      await page.goto(`${gw.httpUrl}/devices?lang=zh`);
      await Promise.all([page.waitForURL((u) => u.pathname === "/parking"), page.tap("#nav-parking")]);
    }
  });

  it("the language toggle keeps the page, and the choice holds on the next page", async () => {
    const page = await signedIn(ADMIN, { width: 1920, height: 1080 });
    for (const key of SEES.administrator) {
      await page.goto(`${gw.httpUrl}${PATHS[key]}?lang=zh`);
      await Promise.all([page.waitForURL((u) => u.pathname === PATHS[key] && u.searchParams.get("lang") === "en"), page.click("#lang")]);
      await ready(page, key);
      const nav = await navOf(page);
      expect([nav.lang, nav.current, nav.role]).toEqual(["en", [`nav-${key}`], "Administrator"]);
      expect(nav.texts).toEqual(SEES.administrator.map((k) => LABELS[k].en));
      await expect(page.locator("#lang").textContent()).resolves.toBe("中文");
    }
    // the cookie keeps English without ?lang=
    await Promise.all([page.waitForURL((u) => u.pathname === "/devices"), page.click("#nav-devices")]);
    expect((await navOf(page)).lang).toBe("en");
    // a query the page had stays with the toggle
    await page.goto(`${gw.httpUrl}/orders?lang=en&view=mine`);
    expect(new URL(await page.locator("#lang").evaluate((a) => (a as HTMLAnchorElement).href)).search).toBe("?lang=zh&view=mine");
    await page.goto(`${gw.httpUrl}/?lang=zh`);
  });

  it("each page of an empty gateway says what is missing, in Chinese and English", async () => {
    const page = await signedIn(ADMIN, { width: 1280, height: 800 });
    for (const lang of ["zh", "en"] as const) {
      for (const key of Object.keys(EMPTY) as Array<keyof typeof EMPTY>) {
        await page.goto(`${gw.httpUrl}${PATHS[key]}?lang=${lang}`);
        await ready(page, key);
        await expect(page.locator(EMPTY[key].selector).isVisible()).resolves.toBe(true);
        await expect(page.locator(EMPTY[key].selector).textContent()).resolves.toContain(EMPTY[key][lang]);
      }
    }
    await page.goto(`${gw.httpUrl}/?lang=zh`);
  });

  it("a page registered while the gateway runs appears in every page's navigation, for the roles it allows, and goes when removed", async () => {
    // a stand-in for the reports page (off in this gateway), registered the way a feature registers its page
    const off = gw.gateway.core.pages.add({ key: "reports", path: "/reports", label: { zh: "报表", en: "Reports" }, permission: "orders.all", order: 30 });
    try {
      const admin = await signedIn(ADMIN, { width: 1920, height: 1080 });
      for (const key of ["alerts", "parking"] as const) {
        await admin.goto(`${gw.httpUrl}${PATHS[key]}`);
        expect((await navOf(admin)).ids).toEqual(["nav-alerts", "nav-devices", "nav-reports", "nav-parking", "nav-orders", "nav-learning", "nav-accounts"]);
      }
      const guard = await signedIn(GUARD, { width: 1920, height: 1080 });
      await guard.goto(`${gw.httpUrl}/devices`);
      expect((await navOf(guard)).ids).not.toContain("nav-reports");
    } finally {
      off();
    }
    const admin = await signedIn(ADMIN, { width: 1920, height: 1080 });
    await admin.goto(`${gw.httpUrl}/devices`);
    expect((await navOf(admin)).ids).not.toContain("nav-reports");
  });

  it("with the reports feature running, its link is there for exactly the roles that may read reports", async () => {
    const passwordHash = await hashPassword(PASSWORD);
    const withReports = await startTestGateway({
      site: "nav",
      influx: { enabled: false },
      alerts: { enabled: true, rules: { deviceSilent: false }, console: { language: "zh", accounts: [ADMIN, GUARD].map((a) => ({ ...a, passwordHash })) } },
      reports: { enabled: true },
    });
    try {
      for (const who of [ADMIN, GUARD]) {
        const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
        contexts.push(context);
        const page = await context.newPage();
        await page.goto(`${withReports.httpUrl}/login?lang=zh`);
        await page.fill("#user", who.user);
        await page.fill("#password", PASSWORD);
        await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
        await page.goto(`${withReports.httpUrl}/devices`);
        const ids = (await navOf(page)).ids;
        expect(ids.includes("nav-reports"), who.role).toBe(may(who.role, "reports"));
        if (!ids.includes("nav-reports")) continue;
        expect(ids.indexOf("nav-reports")).toBe(ids.indexOf("nav-devices") + 1);
        await Promise.all([page.waitForURL((u) => u.pathname === "/reports"), page.click("#nav-reports")]);
        expect((await navOf(page)).current).toEqual(["nav-reports"]);
      }
    } finally {
      await withReports.stop();
    }
  });
});

describe("the navigation's registry", () => {
  it("lists a feature's page while it runs and drops it when the feature stops, without the feature removing it", async () => {
    const core = await testCore();
    try {
      const host = await FeatureHost.start(devicesPageFeature, core, core.config.devicesPage);
      expect(core.pages.list().map((p) => p.path)).toEqual(["/devices"]);
      await host.stop();
      expect(core.pages.list()).toEqual([]);
    } finally {
      await core.cleanup();
    }
  });
});
