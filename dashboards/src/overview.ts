import { at, board, BETTER, INFO, q, RECENT, SITE, stat, timeseries, WORSE } from "./kit.ts";

const online = (kindTitle: string, refId: string, inner: string) => q(refId, `SELECT count("seen") AS "online" FROM (${inner})`, { alias: kindTitle });

export const overview = board({
  uid: "linli-overview",
  title: "小区总览",
  description: "Compound overview for the property office: devices online by kind, open alerts, lift holds today, throws this week, charger energy today, gate traffic.",
  tags: ["overview"],
  panels: [
    stat({
      title: "在线设备",
      description: "Devices heard from in the 5 minutes before the end of the range, by kind (lifts by state messages, chargers by telemetry, gates and throw cameras by heartbeat). Red when a kind has none online.",
      unit: "short",
      steps: BETTER(1, 1),
      gridPos: at(0, 0, 8, 5),
      targets: [
        online("电梯", "A", `SELECT last("floor") AS "seen" FROM "lift_state" WHERE ${SITE} AND ${RECENT("5m")} GROUP BY "lift"`),
        online("门禁", "B", `SELECT last("uptime_s") AS "seen" FROM "device_heartbeat" WHERE ${SITE} AND "kind" = 'gate' AND ${RECENT("5m")} GROUP BY "device"`),
        online("充电桩", "C", `SELECT last("temp_c") AS "seen" FROM "charger_port" WHERE ${SITE} AND ${RECENT("5m")} GROUP BY "charger"`),
        online("抛物摄像头", "D", `SELECT last("uptime_s") AS "seen" FROM "device_heartbeat" WHERE ${SITE} AND "kind" = 'throw' AND ${RECENT("5m")} GROUP BY "device"`),
      ],
    }),
    stat({
      title: "未处理告警",
      description: "Alerts opened in the last 7 days and not yet resolved (opened minus resolved, from the alert engine's state changes).",
      unit: "short",
      steps: WORSE(1, 5),
      gridPos: at(8, 0, 4, 5),
      timeFrom: "7d",
      targets: [
        q(
          "A",
          `SELECT sum("n") AS "open" FROM (SELECT count("alert_id") AS "n" FROM "alert" WHERE ${SITE} AND "event" = 'opened' AND $timeFilter), (SELECT -1 * count("alert_id") AS "n" FROM "alert" WHERE ${SITE} AND "event" = 'resolved' AND $timeFilter)`,
          { alias: "未处理" },
        ),
      ],
    }),
    stat({
      title: "今日电梯拦截",
      description: "Lift holds started today (e-bike confirmed in the car, lift held by the guard).",
      unit: "short",
      steps: WORSE(5, 20),
      gridPos: at(12, 0, 4, 5),
      timeFrom: "now/d",
      reduce: "sum",
      targets: [q("A", `SELECT count("hold_id") AS "holds" FROM "lift_block" WHERE ${SITE} AND "phase" = 'start' AND $timeFilter`, { alias: "拦截" })],
    }),
    stat({
      title: "近7天高空抛物",
      description: "High-altitude throws seen by the facade cameras in the last 7 days.",
      unit: "short",
      steps: WORSE(1, 5),
      gridPos: at(16, 0, 4, 5),
      timeFrom: "7d",
      reduce: "sum",
      targets: [q("A", `SELECT sum("count") AS "throws" FROM "throw_event" WHERE ${SITE} AND $timeFilter`, { alias: "抛物" })],
    }),
    stat({
      title: "今日充电电量",
      description: "Energy delivered by all bike-shed chargers today: the increase of every port's energy meter (non_negative_derivative per 5 minutes, so a meter reset is not counted as negative energy), in kWh.",
      unit: "kwatth",
      decimals: 1,
      steps: INFO,
      gridPos: at(20, 0, 4, 5),
      timeFrom: "now/d",
      reduce: "sum",
      targets: [
        q(
          "A",
          `SELECT sum("wh") / 1000 AS "kwh" FROM (SELECT non_negative_derivative(max("energy_wh"), 5m) AS "wh" FROM "charger_port" WHERE ${SITE} AND $timeFilter GROUP BY time(5m), "charger", "port")`,
          { alias: "电量" },
        ),
      ],
    }),
    timeseries({
      title: "出入流量（每小时）",
      description: "Recognitions at all gates per hour, entries and exits (vehicles and pedestrians, granted or not).",
      unit: "short",
      steps: INFO,
      gridPos: at(0, 5, 24, 9),
      style: "bars",
      stack: true,
      targets: [q("A", `SELECT sum("count") AS "passes" FROM "gate_pass" WHERE ${SITE} AND $timeFilter GROUP BY time(1h), "direction" fill(0)`, { alias: "$tag_direction" })],
      overrides: [],
    }),
  ],
});
