import { literal, type RunQuery, type Series } from "./influxql.ts";
import type { Report } from "./model.ts";
import { periodLabel, type Period } from "./period.ts";

/**
 * The report's figures, read with the boards' own InfluxQL (dashboards/src): the same measurements,
 * fields, filters and aggregations, grouped by what the report lists instead of by time, so that a
 * board's panel over the same range sums to the same number.
 */

/** the devices the overview board's "在线设备" panel counts, with the field each one's presence is read from */
const PRESENCE = [
  { kind: "lift", measurement: "lift_state", field: "floor", tag: "lift", where: "" },
  { kind: "gate", measurement: "device_heartbeat", field: "uptime_s", tag: "device", where: ` AND "kind" = 'gate'` },
  { kind: "charger", measurement: "charger_port", field: "temp_c", tag: "charger", where: "" },
  { kind: "throw", measurement: "device_heartbeat", field: "uptime_s", tag: "device", where: ` AND "kind" = 'throw'` },
] as const;

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** tag value -> the first value column of each series (one row per series: no GROUP BY time) */
function byTag(series: Series[], tag: string): Map<string, number> {
  return new Map(series.map((s) => [s.tags?.[tag] ?? "", num(s.values[0]?.[1])]));
}

/** tag value -> every row's values by column name */
function rowsByTag(series: Series[], tag: string): Map<string, Array<Record<string, unknown>>> {
  return new Map(series.map((s) => [s.tags?.[tag] ?? "", s.values.map((row) => Object.fromEntries(s.columns.map((c, i) => [c, row[i]])))]));
}

const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export async function buildReport(run: RunQuery, site: string, period: Period, offlineAfterMs: number, now = Date.now()): Promise<Report> {
  // Grafana's $timeFilter with the period's last millisecond as its "to"
  const time = `time >= ${period.from}ms AND time <= ${period.to - 1}ms`;
  const where = (extra = "") => `WHERE "site" = ${literal(site)}${extra} AND ${time}`;
  const [throws, lifts, sheds, gates, devices, alerts, orders] = await Promise.all([
    throwsOf(run, where),
    liftsOf(run, where),
    shedsOf(run, where, time),
    gatesOf(run, where, period.timeZone),
    devicesOf(run, where, period.to - 1, offlineAfterMs),
    alertsOf(run, where),
    ordersOf(run, where),
  ]);
  return { site, kind: period.kind, date: period.date, label: periodLabel(period), from: period.from, to: period.to, timeZone: period.timeZone, builtAt: now, throws, lifts, sheds, gates, devices, alerts, orders };
}

type Where = (extra?: string) => string;

async function throwsOf(run: RunQuery, where: Where): Promise<Report["throws"]> {
  const [totals, floors] = await Promise.all([
    run(`SELECT sum("count") AS "throws" FROM "throw_event" ${where()} GROUP BY "building"`),
    run(`SELECT "floor" AS "floor", "count" AS "count" FROM "throw_event" ${where()} GROUP BY "building"`),
  ]);
  const byBuilding = byTag(totals, "building");
  const rows = rowsByTag(floors, "building");
  const buildings = sorted(byBuilding.keys()).map((building) => {
    const perFloor = new Map<number | null, number>();
    for (const r of rows.get(building) ?? []) {
      const floor = typeof r.floor === "number" ? r.floor : null;
      perFloor.set(floor, (perFloor.get(floor) ?? 0) + num(r.count));
    }
    const floorsOf = [...perFloor].map(([floor, n]) => ({ floor, throws: n })).sort((a, b) => (b.floor ?? -999) - (a.floor ?? -999));
    return { building, throws: byBuilding.get(building) ?? 0, floors: floorsOf };
  });
  return { total: buildings.reduce((a, b) => a + b.throws, 0), buildings };
}

async function liftsOf(run: RunQuery, where: Where): Promise<Report["lifts"]> {
  const [holds, durations, verdicts] = await Promise.all([
    run(`SELECT count("hold_id") AS "holds" FROM "lift_block" ${where(` AND "phase" = 'start'`)} GROUP BY "lift"`),
    run(`SELECT mean("duration_ms") AS "mean" FROM "lift_block" ${where(` AND "phase" = 'end'`)} GROUP BY "lift"`),
    run(`SELECT count("hold_id") AS "false_holds" FROM "lift_verdict" ${where(` AND "verdict" = 'no_ebike'`)} GROUP BY "lift"`),
  ]);
  const h = byTag(holds, "lift");
  const d = byTag(durations, "lift");
  const f = byTag(verdicts, "lift");
  return sorted([...h.keys(), ...f.keys()]).map((lift) => ({ lift, holds: h.get(lift) ?? 0, falseHolds: f.get(lift) ?? 0, meanHoldS: d.has(lift) ? (d.get(lift) ?? 0) / 1000 : null }));
}

async function shedsOf(run: RunQuery, where: Where, time: string): Promise<Report["sheds"]> {
  const [energy, sessions, alarms] = await Promise.all([
    // the chargers board's "每日用电" and the overview's "今日充电电量", summed per charger
    run(`SELECT sum("wh") / 1000 AS "kwh" FROM (SELECT non_negative_derivative(max("energy_wh"), 5m) AS "wh" FROM "charger_port" ${where()} GROUP BY time(5m), "charger", "port") WHERE ${time} GROUP BY "charger"`),
    run(`SELECT count("session_id") AS "sessions" FROM "charger_session" ${where()} GROUP BY "charger"`),
    run(`SELECT count("alarm_id") AS "alarms" FROM "charger_alarm" ${where()} GROUP BY "charger"`),
  ]);
  const e = byTag(energy, "charger");
  const s = byTag(sessions, "charger");
  const a = byTag(alarms, "charger");
  return sorted([...e.keys(), ...s.keys(), ...a.keys()]).map((shed) => ({ shed, kwh: e.get(shed) ?? 0, sessions: s.get(shed) ?? 0, alarms: a.get(shed) ?? 0 }));
}

/** the hour of the day (0-23) an instant falls in, in the time zone */
function hourOf(ts: number, timeZone: string): number {
  return Number(new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", hour: "numeric" }).format(ts)) % 24;
}

async function gatesOf(run: RunQuery, where: Where, timeZone: string): Promise<Report["gates"]> {
  const [hourly, refused] = await Promise.all([
    run(`SELECT sum("count") AS "passes" FROM "gate_pass" ${where()} GROUP BY time(1h), "method" fill(0)`),
    run(`SELECT sum("count") AS "refused" FROM "gate_pass" ${where(` AND "granted" = 'false'`)} GROUP BY "method"`),
  ]);
  const methods = sorted(hourly.map((s) => s.tags?.method ?? ""));
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, byMethod: Object.fromEntries(methods.map((m) => [m, 0])) as Record<string, number>, total: 0 }));
  for (const s of hourly) {
    const method = s.tags?.method ?? "";
    for (const [ts, n] of s.values) {
      const h = hours[hourOf(num(ts), timeZone)];
      if (!h) continue;
      h.byMethod[method] = (h.byMethod[method] ?? 0) + num(n);
      h.total += num(n);
    }
  }
  return { methods, hours, refusedByMethod: Object.fromEntries(byTag(refused, "method")), total: hours.reduce((a, h) => a + h.total, 0) };
}

async function devicesOf(run: RunQuery, where: Where, end: number, offlineAfterMs: number): Promise<Report["devices"]> {
  return Promise.all(
    PRESENCE.map(async (p) => {
      const series = await run(`SELECT last("${p.field}") AS "seen" FROM "${p.measurement}" ${where(p.where)} GROUP BY "${p.tag}"`);
      const last = series.map((s) => ({ device: s.tags?.[p.tag] ?? "", lastSeen: num(s.values[0]?.[0]) }));
      // as the board counts a device online: a point in the last minutes before the range's end
      const offline = last.filter((d) => d.lastSeen <= end - offlineAfterMs).sort((a, b) => a.lastSeen - b.lastSeen);
      return { kind: p.kind, seen: last.length, online: last.length - offline.length, offline };
    }),
  );
}

async function alertsOf(run: RunQuery, where: Where): Promise<Report["alerts"]> {
  const [opened, acks] = await Promise.all([
    run(`SELECT count("alert_id") AS "opened" FROM "alert" ${where(` AND "event" = 'opened'`)} GROUP BY "type"`),
    run(`SELECT "ack_ms" AS "ack_ms" FROM "alert" ${where(` AND "event" = 'acknowledged'`)} GROUP BY "type"`),
  ]);
  const o = byTag(opened, "type");
  const a = rowsByTag(acks, "type");
  return sorted([...o.keys(), ...a.keys()]).map((type) => {
    const ms = (a.get(type) ?? []).map((r) => num(r.ack_ms));
    const m = mean(ms);
    return {
      type,
      opened: o.get(type) ?? 0,
      acknowledged: ms.length,
      within5m: ms.filter((x) => x <= 300_000).length,
      within30m: ms.filter((x) => x > 300_000 && x <= 1_800_000).length,
      over30m: ms.filter((x) => x > 1_800_000).length,
      meanAckMin: m === null ? null : m / 60_000,
    };
  });
}

async function ordersOf(run: RunQuery, where: Where): Promise<Report["orders"]> {
  const [created, done] = await Promise.all([
    run(`SELECT count("order_id") AS "orders" FROM "work_order" ${where(` AND "event" = 'created'`)} GROUP BY "type"`),
    run(`SELECT "finish_ms" AS "finish_ms", "overdue" AS "overdue" FROM "work_order" ${where(` AND "event" = 'done'`)} GROUP BY "type"`),
  ]);
  const c = byTag(created, "type");
  const d = rowsByTag(done, "type");
  const H = 3_600_000;
  return sorted([...c.keys(), ...d.keys()]).map((type) => {
    const rows = d.get(type) ?? [];
    const ms = rows.map((r) => num(r.finish_ms));
    const m = mean(ms);
    return {
      type,
      created: c.get(type) ?? 0,
      done: rows.length,
      within4h: ms.filter((x) => x <= 4 * H).length,
      within24h: ms.filter((x) => x > 4 * H && x <= 24 * H).length,
      over24h: ms.filter((x) => x > 24 * H).length,
      overdue: rows.reduce((a, r) => a + num(r.overdue), 0),
      meanFinishH: m === null ? null : m / H,
    };
  });
}
