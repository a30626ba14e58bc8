/**
 * `linli simulate --past-day` writes every measurement the boards and the reports read (issue 16,
 * part 3): a simulated day into a real influxd, then each measurement named by a panel of
 * dashboards/*.json or by the daily report's queries has points in that day; and the report's
 * alert and work order figures follow from the day's own events, as the alert rules raised them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { parseConfig } from "../gateway/config.ts";
import { sinkFor } from "../gateway/influx/connect.ts";
import type { Point } from "../gateway/influx/point.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { pointContext } from "../gateway/privacy.ts";
import { influxQuery } from "../gateway/reports/influxql.ts";
import type { Report } from "../gateway/reports/model.ts";
import { localDay } from "../gateway/local-day.ts";
import { periodOf } from "../gateway/reports/period.ts";
import { buildReport } from "../gateway/reports/queries.ts";
import { writePastDay } from "../gateway/simulate/past-day.ts";
import { analyse, parseSchemaDoc } from "./dashboards/influxql.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SITE = "demo";
const TZ = "Asia/Shanghai";
const DAY = 86_400_000;
/** yesterday in the site's calendar: the simulated stretch is exactly that day */
const day = periodOf("day", localDay(Date.now() - DAY, TZ), TZ);
const schema = parseSchemaDoc(readFileSync(join(ROOT, "docs/schema.md"), "utf8"));
const boardMeasurements = (): string[] =>
  readdirSync(join(ROOT, "dashboards"))
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => (JSON.parse(readFileSync(join(ROOT, "dashboards", f), "utf8")) as { panels: Array<{ targets?: Array<{ query?: string }> }> }).panels)
    .flatMap((p) => (p.targets ?? []).flatMap((t) => analyse(t.query ?? "", schema).measurements));

describe("simulated past day: every measurement the boards and reports read", () => {
  let influx: Influxd;
  let report: Report;
  /** the report's own queries, as it sent them */
  const reportQueries: string[] = [];
  const time = `time >= ${day.from}ms AND time <= ${day.to - 1}ms`;
  const count = async (q: string) => Number((await influx.query("linli", q))[0]?.values[0]?.[1] ?? 0);
  const alerts = (type: string, event: string) => count(`SELECT count("alert_id") FROM "alert" WHERE "type" = '${type}' AND "event" = '${event}' AND ${time}`);

  beforeAll(async () => {
    influx = await startInfluxd();
    const config = parseConfig({ influx: { url: influx.url } }, {});
    const sink = sinkFor(config.influx, allMeasurements);
    // 20 throw cameras and 6 chargers: about ten throws and a few charger alarms in a day
    await writePastDay(deviceKinds, allMeasurements, sink, pointContext(config.privacy), { site: SITE, seed: 16, end: day.to, hours: 24, counts: { lift: 4, gate: 2, charger: 6, throw: 20 } });
    await sink.close();
    const run = influxQuery(config.influx);
    report = await buildReport((q) => (reportQueries.push(q), run(q)), SITE, day, 5 * 60_000);
  }, 90_000);
  afterAll(async () => {
    await influx?.stop();
  });

  it("has points that day in each measurement a board panel or the report reads", async () => {
    const read = [...new Set([...boardMeasurements(), ...reportQueries.flatMap((q) => analyse(q, schema).measurements)])].sort();
    expect(read).toEqual(expect.arrayContaining(["alert", "work_order", "lift_block", "lift_verdict", "throw_event", "charger_alarm", "lift_frame", "lift_frame_skip"]));
    const empty: string[] = [];
    for (const m of read) {
      const series = await influx.query("linli", `SELECT count(*) FROM "${m}" WHERE "site" = '${SITE}' AND ${time}`);
      if (!series.some((s) => s.values.some((row) => row.slice(1).some((v) => typeof v === "number" && v > 0)))) empty.push(m);
    }
    expect(empty).toEqual([]);
  });

  it("has the detector judge the lifts as it would live: the e-bike of each hold at its peak score, low scores otherwise, closed and moving cars' frames skipped", async () => {
    const [holds] = await influx.query("linli", `SELECT "peak_score", "lift" FROM "lift_block" WHERE "phase" = 'start' AND ${time}`);
    expect(holds!.values.length).toBeGreaterThan(20);
    for (const [ts, peak, liftId] of holds!.values) {
      const [frame] = await influx.query("linli", `SELECT "ebike_score", "ebike" FROM "lift_frame" WHERE "lift" = '${String(liftId)}' AND "role" = 'active' AND time >= ${Number(ts)}ms AND time < ${Number(ts) + 1}ms`);
      expect(frame?.values[0]?.slice(1), `the frame that started the hold at ${String(ts)}`).toEqual([peak, Number(peak) >= 0.5]);
    }
    // no e-bike is seen but in a held car: the judged frames outside the holds score low
    const [ends] = await influx.query("linli", `SELECT "duration_ms", "lift" FROM "lift_block" WHERE "phase" = 'end' AND ${time}`);
    const held = holds!.values.map(([ts, , liftId]) => ({ liftId, from: Number(ts), to: Infinity }));
    for (const [ts, duration, liftId] of ends!.values) {
      const hold = held.find((h) => h.liftId === liftId && h.from === Number(ts) - Number(duration));
      if (hold) hold.to = Number(ts);
    }
    const [ebikes] = await influx.query("linli", `SELECT "ebike_score", "lift" FROM "lift_frame" WHERE "ebike" = true AND ${time}`);
    expect(ebikes!.values.length).toBeGreaterThan(held.length);
    for (const [ts, , liftId] of ebikes!.values) expect(held.some((h) => h.liftId === liftId && Number(ts) >= h.from && Number(ts) < h.to), `e-bike in ${String(liftId)} at ${String(ts)}`).toBe(true);
    const skipped = await influx.query("linli", `SELECT sum("count") FROM "lift_frame_skip" WHERE ${time} GROUP BY "lift", "reason"`);
    expect(new Set(skipped.map((s) => s.tags?.reason))).toEqual(new Set(["doors_closed", "moving"]));
    expect(new Set(skipped.map((s) => s.tags?.lift)).size).toBe(4);
    const [timing] = await influx.query("linli", `SELECT percentile("total_ms", 50), max("inference_ms") FROM "lift_frame" WHERE ${time}`);
    // FastestDet's measured figures: a few ms of inference in about 15 ms a frame
    const [, total, inference] = timing!.values[0]!.map(Number);
    expect(inference).toBeLessThan(total!);
    expect(total).toBeGreaterThan(10);
    expect(total).toBeLessThan(30);
  });

  it("leaves the devices' traffic as it is without alerts, work orders, car parks and detector: each draws from a stream of its own", async () => {
    const run = async (input: { alerts?: { enabled: false }; orders?: { enabled: false }; parking?: { enabled: false }; detector?: { enabled: false } }) => {
      const config = parseConfig(input, {});
      const points: Point[] = [];
      const sink = { ensure: async () => {}, write: async (batch: readonly Point[]) => void points.push(...batch), close: async () => {} };
      await writePastDay(deviceKinds, allMeasurements, sink, pointContext({ ...config.privacy, salt: "fixed" }), { site: SITE, seed: 16, end: day.to, hours: 3, counts: { lift: 4, gate: 2, charger: 6, throw: 20 }, alerts: config.alerts, orders: config.orders, parking: config.parking, detector: config.detector });
      return points;
    };
    const staffed = await run({});
    const unstaffed = await run({ alerts: { enabled: false }, orders: { enabled: false }, parking: { enabled: false }, detector: { enabled: false } });
    const office = new Set(["alert", "work_order", "parking_occupancy", "lift_frame", "lift_frame_skip"]);
    expect(unstaffed.filter((p) => office.has(p.measurement))).toEqual([]);
    expect(staffed.filter((p) => p.measurement === "alert").length).toBeGreaterThan(10);
    expect(staffed.filter((p) => p.measurement === "lift_frame").length).toBeGreaterThan(1_000);
    // the gateway's own health points count every point written, the office's too
    const traffic = (ps: Point[]) => ps.filter((p) => !office.has(p.measurement) && p.measurement !== "gateway");
    expect(traffic(staffed)).toEqual(traffic(unstaffed));
  });

  it("counts the cars of the car park behind the simulated gates from their plate reads, never below zero", async () => {
    const [series] = await influx.query("linli", `SELECT "cars", "free", "capacity" FROM "parking_occupancy" WHERE "car_park" = 'sim-garage' AND ${time}`);
    const rows = series?.values ?? [];
    expect(rows.length).toBeGreaterThan(50);
    for (const [, cars, free, capacity] of rows) expect(Number(cars) + Number(free)).toBe(Number(capacity));
    expect(Math.min(...rows.map((r) => Number(r[1])))).toBeGreaterThanOrEqual(0);
    // entries less exits: the granted plate passes at its gates say the same
    const passes = async (direction: string) => count(`SELECT sum("count") FROM "gate_pass" WHERE "method" = 'plate' AND "granted" = 'true' AND "direction" = '${direction}' AND ${time}`);
    expect(Number(rows.at(-1)![1])).toBeGreaterThanOrEqual((await passes("in")) - (await passes("out")));
  });

  it("raises the alerts the rules raise on the day's events: one throw alert per throw, one hold alert per hold, one charger alert per alarm", async () => {
    const raised = async (type: string) => (await alerts(type, "opened")) + (await alerts(type, "repeated"));
    expect(report.throws.total).toBeGreaterThan(3);
    expect(await raised("throw")).toBe(report.throws.total);
    const holds = report.lifts.reduce((a, l) => a + l.holds, 0);
    expect(holds).toBeGreaterThan(20);
    expect(await raised("lift_hold")).toBe(holds);
    // a hold released at the maximum hold time raises its own alert
    expect(await raised("lift_hold_timeout")).toBe(await count(`SELECT count("hold_id") FROM "lift_block" WHERE "phase" = 'end' AND "end_reason" = 'max_hold' AND ${time}`));
    const alarms = report.sheds.reduce((a, s) => a + s.alarms, 0);
    expect(alarms).toBeGreaterThan(0);
    expect(await raised("charger_over_temp")).toBe(alarms);
    // the report counts what was opened, per type, as the alert points say
    for (const a of report.alerts) expect(a.opened, a.type).toBe(await alerts(a.type, "opened"));
  });

  it("gives the report's alerts by time to acknowledge and work orders by time to finish figures that add up", async () => {
    const throws = report.alerts.find((a) => a.type === "throw");
    expect(throws?.acknowledged).toBeGreaterThan(0);
    for (const a of report.alerts) {
      expect(a.acknowledged, a.type).toBeLessThanOrEqual(a.opened);
      expect(a.within5m + a.within30m + a.over30m, a.type).toBe(a.acknowledged);
      if (a.acknowledged > 0) expect(a.meanAckMin, a.type).toBeGreaterThan(0);
    }
    // holds mostly end, and resolve their alert, before a guard gets to them
    const hold = report.alerts.find((a) => a.type === "lift_hold");
    expect(hold!.acknowledged).toBeLessThan(hold!.opened / 2);
    expect(await alerts("lift_hold", "resolved")).toBeGreaterThanOrEqual(hold!.opened - 1);

    // the supervisor opens an incident for a throw and a repair for a charger alarm once acknowledged
    const orders = Object.fromEntries(report.orders.map((o) => [o.type, o]));
    expect(orders.incident?.created).toBeGreaterThan(0);
    expect(orders.incident!.created).toBeLessThanOrEqual(throws!.acknowledged);
    expect(orders.repair?.created).toBeGreaterThan(0);
    expect(orders.repair!.created).toBeLessThanOrEqual(report.alerts.find((a) => a.type === "charger_over_temp")!.acknowledged);
    expect(report.orders.reduce((a, o) => a + o.done, 0)).toBeGreaterThan(0);
    for (const o of report.orders) {
      expect(o.done, o.type).toBeLessThanOrEqual(o.created);
      expect(o.within4h + o.within24h + o.over24h, o.type).toBe(o.done);
      if (o.done > 0) expect(o.meanFinishH, o.type).toBeGreaterThan(0);
    }
    // each order's steps are in the chain's order: accepted after assigned, done after started
    const steps = await influx.query("linli", `SELECT "order_id", "event" FROM "work_order" WHERE ${time}`);
    const byOrder = new Map<string, string[]>();
    for (const [, id, event] of steps[0]?.values ?? []) byOrder.set(String(id), [...(byOrder.get(String(id)) ?? []), String(event)]);
    for (const [id, events] of byOrder) {
      const lifecycle = events.filter((e) => e !== "reminded" && e !== "escalated");
      expect(lifecycle, id).toEqual(["created", "assigned", "accepted", "started", "done", "signed_off"].slice(0, lifecycle.length));
    }
  });
});
