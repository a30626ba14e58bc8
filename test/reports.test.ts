/**
 * The daily and weekly reports (issue 16, part 3) against a real influxd holding a simulated week
 * (`simulate --past-day`, alerts and work orders included): every figure equal to what
 * the Grafana boards' own panel queries give for the same range, the xlsx read back with exceljs,
 * the PDF rendered with pdftoppm, the page in Debian chromium at 1080p and 360 px (screenshots in
 * test-artifacts/), a guard refused, and the weekly schedule sending its summary to a WeCom-format
 * robot with links to the files it kept.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ExcelJS from "exceljs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { parseConfig } from "../gateway/config.ts";
import { hashPassword } from "../gateway/console/auth.ts";
import { sinkFor } from "../gateway/influx/connect.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { pointContext } from "../gateway/privacy.ts";
import type { Report } from "../gateway/reports/model.ts";
import { localDay } from "../gateway/local-day.ts";
import { periodOf, previousPeriod, type Period, type PeriodKind } from "../gateway/reports/period.ts";
import { nextRuns } from "../gateway/reports/schedule.ts";
import { writePastDay } from "../gateway/simulate/past-day.ts";
import { expandQuery } from "./dashboards/grafana.ts";
import { startWecomRobot, type Receiver } from "./alerts-fixtures.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { startInfluxd, type Influxd, type Series } from "./services/influxd.ts";

const ROOT = resolve(import.meta.dirname, "..");
const artifacts = join(ROOT, "test-artifacts");
const SITE = "demo";
const TZ = "Asia/Shanghai";
const DAY = 86_400_000;
const SUPERVISOR = { user: "zhou", password: "supervisor correct horse", displayName: "周主管", role: "supervisor" as const };
const GUARD = { user: "wang", password: "guard battery staple", displayName: "王师傅", role: "guard" as const };

/** the week before this one, Monday to Sunday in the site's time zone: what the simulation writes and the weekly report covers */
const today = localDay(Date.now(), TZ);
const thisWeek = periodOf("week", today, TZ);
const lastWeek = periodOf("week", localDay(thisWeek.from - DAY, TZ), TZ);
/** its Sunday, for the daily report */
const sunday = periodOf("day", localDay(lastWeek.to - DAY, TZ), TZ);

interface Panel {
  title: string;
  gridPos: { w: number };
  interval?: string;
  maxDataPoints?: number;
  targets: Array<{ query: string }>;
}
const boards = Object.fromEntries(
  ["overview", "throws", "lifts", "chargers", "gates"].map((b) => [b, (JSON.parse(readFileSync(join(ROOT, `dashboards/linli-${b}.json`), "utf8")) as { panels: Panel[] }).panels]),
);

/** A board panel's queries as Grafana sends them for the report's range (its last millisecond as "to"). */
async function panel(influx: Influxd, board: string, title: string, period: Period): Promise<Series[][]> {
  const p = boards[board]?.find((x) => x.title === title);
  if (!p) throw new Error(`no panel ${title} on ${board}`);
  return Promise.all(
    p.targets.map((t) =>
      influx.query(
        "linli",
        expandQuery(t.query, {
          range: { from: period.from, to: period.to - 1 },
          maxDataPoints: p.maxDataPoints ?? Math.round((p.gridPos.w / 24) * 1800),
          minInterval: p.interval ?? "10s",
          variables: { site: { value: SITE } },
        }),
      ),
    ),
  );
}

const num = (v: unknown) => (typeof v === "number" ? v : 0);
/** a series' values summed, per value of one tag */
const sumBy = (series: Series[], tag: string, column = 1) => {
  const out: Record<string, number> = {};
  for (const s of series) out[s.tags?.[tag] ?? ""] = (out[s.tags?.[tag] ?? ""] ?? 0) + s.values.reduce((a, r) => a + num(r[column]), 0);
  return out;
};
const total = (series: Series[], column = 1) => series.reduce((a, s) => a + s.values.reduce((b, r) => b + num(r[column]), 0), 0);
/** a worksheet row's cells from column A (exceljs numbers them from 1) */
const cells = (ws: ExcelJS.Worksheet, row: number) => (ws.getRow(row).values as ExcelJS.CellValue[]).slice(1);
const hourIn = (ts: number) => Number(new Intl.DateTimeFormat("en-US", { timeZone: TZ, hourCycle: "h23", hour: "numeric" }).format(ts)) % 24;

describe.sequential("daily and weekly reports (real influxd, a simulated week, exceljs, pdftoppm, Debian chromium)", () => {
  let influx: Influxd;
  let gw: TestGateway;
  let robot: Receiver & { problems: string[] };
  let browser: Browser;
  let supervisor: string;
  let guard: string;
  /** when the weekly schedule is set to run, a few seconds after the gateway starts */
  let weeklyAt: number;

  const login = async (who: { user: string; password: string }) => {
    const res = await fetch(`${gw.httpUrl}/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ user: who.user, password: who.password }).toString(), redirect: "manual" });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
  };
  const get = (path: string, cookie?: string) => fetch(`${gw.httpUrl}${path}`, { headers: cookie ? { cookie } : {} });
  const report = async (kind: PeriodKind, date: string): Promise<Report> => {
    const res = await get(`/api/reports?kind=${kind}&date=${date}`, supervisor);
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    influx = await startInfluxd();
    // `simulate --past-day --days 7`: the devices' traffic, lift holds, staff verdicts, and the alerts and work orders they raised
    const config = parseConfig({ influx: { url: influx.url } }, {});
    const sink = sinkFor(config.influx, allMeasurements);
    const simulated = await writePastDay(deviceKinds, allMeasurements, sink, pointContext(config.privacy), { site: SITE, end: lastWeek.to, hours: 168, seed: 16, counts: { lift: 2, gate: 2, charger: 2, throw: 4 } });
    await sink.close();
    expect(simulated.points).toBeGreaterThan(100_000);
    robot = await startWecomRobot();
    const accounts = await Promise.all([SUPERVISOR, GUARD].map(async (a) => ({ user: a.user, passwordHash: await hashPassword(a.password), displayName: a.displayName, role: a.role })));
    weeklyAt = Date.now() + 8_000;
    const at = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(weeklyAt);
    const weekday = (["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const)[new Date(`${localDay(weeklyAt, TZ)}T00:00:00Z`).getUTCDay()]!;
    gw = await startTestGateway({
      site: SITE,
      influx: { url: influx.url },
      alerts: {
        enabled: true,
        timeZone: TZ,
        publicUrl: "http://gateway.example:8080/",
        console: { accounts },
        // the office group gets the reports and no alerts
        webhooks: [{ type: "wecom", url: `${robot.url}/cgi-bin/webhook/send?key=k`, name: "office", events: [] }],
      },
      reports: { daily: null, weekly: { day: weekday, at }, chats: [{ channel: "office", reports: ["week"] }] },
    });
    supervisor = await login(SUPERVISOR);
    guard = await login(GUARD);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await robot?.close();
    await influx?.stop();
  });

  it.each([
    ["daily", "day", sunday],
    ["weekly", "week", lastWeek],
  ] as const)("the %s report's figures are the boards' panels summed over the same range", async (_name, kind, period) => {
    const r = await report(kind, period.date);
    expect(r).toMatchObject({ site: SITE, kind, date: period.date, from: period.from, to: period.to, timeZone: TZ });

    // throws by building (the throws board) and by floor (its floor panel's points)
    const [[byBuilding = []], [throwTotal = []], [floors = []]] = await Promise.all([panel(influx, "throws", "各楼栋抛物事件", period), panel(influx, "throws", "抛物事件", period), panel(influx, "throws", "事件楼层（按楼栋）", period)]);
    if (kind === "week") expect(r.throws.buildings.length).toBeGreaterThan(1);
    expect(r.throws.total).toBe(total(throwTotal));
    expect(Object.fromEntries(r.throws.buildings.map((b) => [b.building, b.throws]))).toEqual(sumBy(byBuilding, "building"));
    for (const b of r.throws.buildings) {
      // the panel returns the throws whose floor the camera could tell; the rest are the report's "unknown"
      const points = floors.find((s) => s.tags?.building === b.building)?.values ?? [];
      const perFloor: Record<string, number> = {};
      for (const [, floor] of points) perFloor[String(floor)] = (perFloor[String(floor)] ?? 0) + 1;
      if (b.throws > points.length) perFloor.null = b.throws - points.length;
      expect(Object.fromEntries(b.floors.map((f) => [String(f.floor), f.throws])), `building ${b.building}`).toEqual(perFloor);
    }

    // lift holds (the lifts board's holds per lift); false holds are staff's verdicts, a share of the holds
    const [[holds = []]] = await Promise.all([panel(influx, "lifts", "各电梯拦截次数", period)]);
    expect(Object.fromEntries(r.lifts.map((l) => [l.lift, l.holds]))).toEqual(sumBy(holds, "lift"));
    expect(r.lifts.reduce((a, l) => a + l.holds, 0)).toBeGreaterThan(0);
    for (const l of r.lifts) expect(l.falseHolds).toBeLessThanOrEqual(l.holds);
    if (kind === "week") expect(r.lifts.reduce((a, l) => a + l.falseHolds, 0)).toBeGreaterThan(0);

    // chargers by shed: energy as the chargers board's daily energy, sessions as its end reasons, alarms as its alarm table
    const [[energy = []], [sessions = []], [alarms = []]] = await Promise.all([panel(influx, "chargers", "每日用电", period), panel(influx, "chargers", "充电结束原因", period), panel(influx, "chargers", "告警记录", period)]);
    const kwh = sumBy(energy, "charger");
    expect(r.sheds.map((s) => s.shed).sort()).toEqual(Object.keys(kwh).sort());
    for (const s of r.sheds) expect(s.kwh, s.shed).toBeCloseTo(kwh[s.shed] ?? NaN, 6);
    expect(r.sheds.reduce((a, s) => a + s.sessions, 0)).toBe(total(sessions));
    const alarmRows = alarms.flatMap((s) => s.values.map((row) => row[s.columns.indexOf("charger")]));
    expect(alarmRows.length).toBeLessThan(200); // under the table's LIMIT, so it lists every alarm
    for (const s of r.sheds) expect(s.alarms, s.shed).toBe(alarmRows.filter((c) => c === s.shed).length);

    // gate passes by hour: the overview's hourly traffic folded into hours of the day; refusals by method from the gates board
    const [[traffic = []], [refused = []]] = await Promise.all([panel(influx, "overview", "出入流量（每小时）", period), panel(influx, "gates", "拒绝通行", period)]);
    const perHour = Array.from({ length: 24 }, () => 0);
    for (const s of traffic) for (const [ts, n] of s.values) perHour[hourIn(num(ts))]! += num(n);
    expect(r.gates.hours.map((h) => h.total)).toEqual(perHour);
    expect(r.gates.total).toBeGreaterThan(0);
    expect(r.gates.methods).toEqual(["card", "face", "plate", "qr"]);
    const refusedByMethod = sumBy(refused, "method");
    for (const m of r.gates.methods) expect(r.gates.refusedByMethod[m] ?? 0, m).toBe(refusedByMethod[m] ?? 0);

    // devices: the overview's online count at the period's end, per kind
    const online = await panel(influx, "overview", "在线设备", period);
    expect(r.devices.map((d) => d.online)).toEqual(online.map((series) => total(series)));
    expect(r.devices.map((d) => d.seen)).toEqual([2, 2, 2, 4]);

    // alerts: the overview's open alerts are the report's opened less those resolved in the range
    const [[open = []]] = await Promise.all([panel(influx, "overview", "未处理告警", period)]);
    const resolved = total(await influx.query("linli", `SELECT count("alert_id") FROM "alert" WHERE "site" = '${SITE}' AND "event" = 'resolved' AND time >= ${period.from}ms AND time <= ${period.to - 1}ms`));
    const opened = r.alerts.reduce((a, x) => a + x.opened, 0);
    expect(opened).toBeGreaterThan(0);
    expect(opened - resolved).toBe(total(open));
    for (const a of r.alerts) expect(a.within5m + a.within30m + a.over30m, a.type).toBe(a.acknowledged);

    // work orders: created and overdue as the overview counts them
    const [[created = []], [overdue = []]] = await Promise.all([panel(influx, "overview", "今日新建工单", period), panel(influx, "overview", "今日逾期完工", period)]);
    expect(r.orders.reduce((a, o) => a + o.created, 0)).toBe(total(created));
    expect(r.orders.reduce((a, o) => a + o.overdue, 0)).toBe(total(overdue));
    for (const o of r.orders) expect(o.within4h + o.within24h + o.over24h, o.type).toBe(o.done);
  });

  it("the weekly xlsx opens in exceljs with the report's figures, and its PDF renders with pdftoppm", async () => {
    const r = await report("week", lastWeek.date);
    const xlsx = await get(`/reports/report.xlsx?kind=week&date=${lastWeek.date}`, supervisor);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get("content-disposition")).toContain(`linli-report-week-${lastWeek.date}.xlsx`);
    const bytes = Buffer.from(await xlsx.arrayBuffer());
    writeFileSync(join(artifacts, "reports-week.xlsx"), bytes);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(wb.worksheets.length).toBe(8);
    expect(String(wb.worksheets[0]!.getCell("A1").value)).toBe(`周报 · ${SITE}`);
    // the throws sheet's last row is the total; the lifts sheet has a row per lift with its holds
    const throws = wb.worksheets[1]!;
    expect(cells(throws, throws.rowCount)).toEqual(["合计", "", r.throws.total]);
    const lifts = wb.worksheets[2]!;
    expect(cells(lifts, 2)).toEqual(["电梯", "拦截", "误拦截", "平均时长（秒）"]);
    for (const [i, l] of r.lifts.entries()) expect(cells(lifts, 3 + i).slice(0, 3)).toEqual([l.lift, l.holds, l.falseHolds]);
    const sheds = wb.worksheets[3]!;
    for (const [i, s] of r.sheds.entries()) expect(cells(sheds, 3 + i)).toEqual([s.shed, Math.round(s.kwh * 100) / 100, s.sessions, s.alarms]);

    const pdf = await get(`/reports/report.pdf?kind=week&date=${lastWeek.date}&lang=en`, supervisor);
    expect(pdf.status).toBe(200);
    const file = join(artifacts, "reports-week.pdf");
    writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    execFileSync("pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", file, join(artifacts, "reports-week-pdf")]);
    expect(statSync(join(artifacts, "reports-week-pdf-1.png")).size).toBeGreaterThan(10_000);
    const text = execFileSync("pdftotext", [file, "-"]).toString();
    expect(text).toContain(`Weekly report · ${SITE}`);
    expect(text).toContain("Lift holds and false holds by lift");
    // the Chinese file too: its font draws the CJK titles
    const zh = await get(`/reports/report.pdf?kind=day&date=${sunday.date}`, supervisor);
    const zhFile = join(artifacts, "reports-day.pdf");
    writeFileSync(zhFile, Buffer.from(await zh.arrayBuffer()));
    execFileSync("pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", zhFile, join(artifacts, "reports-day-pdf")]);
    expect(execFileSync("pdftotext", [zhFile, "-"]).toString()).toContain("高空抛物（按楼栋、楼层）");
  });

  it("the page in chromium at 1080p and 360 px: the week's figures, the day/week picker, the downloads", async () => {
    const r = await report("week", lastWeek.date);
    for (const [name, viewport] of [
      ["1080p", { width: 1920, height: 1080 }],
      ["phone", { width: 360, height: 740 }],
    ] as const) {
      const context = await browser.newContext({ viewport });
      await context.addCookies([{ name: "linli_console", value: supervisor.split("=")[1]!, url: gw.httpUrl }]);
      const page = await context.newPage();
      await page.goto(`${gw.httpUrl}/reports?kind=week&date=${lastWeek.date}`);
      await expect(page.locator("h1").textContent()).resolves.toBe("运营报表");
      await expect(page.locator("#report h2").textContent()).resolves.toContain(`周报 · ${SITE} · ${r.label}`);
      await expect(page.locator("#nav-reports").getAttribute("aria-current")).resolves.toBe("page");
      const throwsTotal = page.locator("section", { hasText: "高空抛物（按楼栋、楼层）" }).locator("tr.sum", { hasText: "合计" }).last();
      await expect(throwsTotal.textContent()).resolves.toContain(String(r.throws.total));
      expect(await page.locator("#download-xlsx").getAttribute("href")).toBe(`/reports/report.xlsx?kind=week&date=${lastWeek.date}&lang=zh`);
      // nothing wider than the screen: tables scroll inside their own box
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: join(artifacts, `reports-week-${name}.png`), fullPage: true });
      if (name === "phone") {
        // the picker: the day report for the Sunday, in English
        await page.goto(`${gw.httpUrl}/reports?lang=en`);
        await page.selectOption("#kind", "day");
        await page.fill("#date", sunday.date);
        await page.click("#show");
        await expect(page.locator("#report h2").textContent()).resolves.toContain(`Daily report · ${SITE} · ${sunday.date}`);
        await page.screenshot({ path: join(artifacts, "reports-day-phone-en.png"), fullPage: true });
      }
      await context.close();
    }
  });

  it("a guard is refused the page, the figures and the files; nobody signed in gets the sign-in", async () => {
    const page = await get(`/reports?kind=week&date=${lastWeek.date}`, guard);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('id="forbidden"');
    for (const path of [`/api/reports?kind=week&date=${lastWeek.date}`, `/reports/report.xlsx?kind=day&date=${sunday.date}`, `/reports/report.pdf`, `/reports/files/linli-report-week-${lastWeek.date}.pdf`]) expect((await get(path, guard)).status, path).toBe(403);
    expect((await get(`/api/reports`)).status).toBe(401);
    expect(await (await get(`/reports`)).text()).toContain('action="/login"');
  });

  it("a malformed kind or date is a clear 400 and a counter, not a crash", async () => {
    const bad = await get(`/api/reports?kind=month&date=${sunday.date}`, supervisor);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/kind must be day or week/);
    expect((await get(`/api/reports?kind=day&date=2026-02-30`, supervisor)).status).toBe(400);
    const page = await get(`/reports?date=yesterday`, supervisor);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("date must be a day as YYYY-MM-DD");
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/^linli_report_bad_requests_total\{site="demo"\} 3$/m);
  });

  it("days and weeks are the site's calendar: local midnights, a 23-hour day where the clocks go forward", () => {
    expect(periodOf("day", "2026-12-02", TZ)).toMatchObject({ from: Date.UTC(2026, 11, 1, 16), to: Date.UTC(2026, 11, 2, 16) });
    expect(periodOf("week", "2026-12-03", TZ)).toMatchObject({ date: "2026-11-30", from: Date.UTC(2026, 10, 29, 16), to: Date.UTC(2026, 11, 6, 16) });
    const spring = periodOf("day", "2026-03-29", "Europe/Berlin");
    expect([spring.from, spring.to]).toEqual([Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22)]);
    expect(previousPeriod("week", Date.UTC(2026, 11, 7, 0), TZ).date).toBe("2026-11-30");
    expect(previousPeriod("day", Date.UTC(2026, 11, 6, 15, 59), TZ).date).toBe("2026-12-05");
  });

  it("the weekly schedule keeps last week's files and sends the office group a summary linking them", async () => {
    expect(nextRuns({ daily: "08:00", weekly: { day: "monday", at: "08:00" } }, TZ, Date.UTC(2026, 11, 3, 1))).toEqual([
      { kind: "day", at: Date.UTC(2026, 11, 4, 0) },
      { kind: "week", at: Date.UTC(2026, 11, 7, 0) },
    ]);
    const deadline = weeklyAt + 20_000;
    while (robot.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(robot.problems).toEqual([]);
    expect(robot.received.length).toBe(1);
    const content = (robot.received[0]!.body as { markdown: { content: string } }).markdown.content;
    // the week before the one the run fell in: the simulated week, unless this test started just before a local Monday midnight
    const due = previousPeriod("week", weeklyAt, TZ);
    const r = await report("week", due.date);
    expect(content).toContain(`周报 ${SITE} ${r.label}`);
    expect(content).toContain(`高空抛物 ${r.throws.total} 次`);
    const slug = `linli-report-week-${due.date}`;
    expect(content).toContain(`(http://gateway.example:8080/reports/files/${slug}.pdf)`);
    expect(content).toContain(`(http://gateway.example:8080/reports/files/${slug}.xlsx)`);
    const kept = await get(`/reports/files/${slug}.pdf`, supervisor);
    expect(kept.status).toBe(200);
    expect(Buffer.from(await kept.arrayBuffer()).subarray(0, 5).toString()).toBe("%PDF-");
    const keptXlsx = await get(`/reports/files/${slug}.xlsx`, supervisor);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await keptXlsx.arrayBuffer()) as ArrayBuffer);
    expect(wb.worksheets.length).toBe(8);
    expect(await (await get("/reports", supervisor)).text()).toContain(`href="/reports/files/${slug}.pdf"`);
    expect((await get(`/reports/files/..%2Fconsole.db`, supervisor)).status).toBe(404);
  });
});
