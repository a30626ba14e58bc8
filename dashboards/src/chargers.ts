import type { AnnotationQuery } from "@grafana/schema";
import { at, board, DATASOURCE, INFO, pie, q, RECENT, SITE, stat, table, timeseries, unitOf, WORSE, type InfluxTarget } from "./kit.ts";

/** Grafana's InfluxDB annotation target: which columns become the text and the tags. */
interface AnnotationTarget extends InfluxTarget {
  fromAnnotations: true;
  textColumn: string;
  tagsColumn: string;
}

const ALARM_COLUMNS = `"type" AS "type", "charger" AS "charger", "port" AS "port", "value" AS "value", "threshold" AS "threshold", "alarm_id" AS "alarm_id"`;

const alarms: AnnotationQuery<AnnotationTarget> = {
  name: "充电桩告警",
  datasource: DATASOURCE,
  enable: true,
  hide: false,
  iconColor: "red",
  target: {
    ...q("Anno", `SELECT ${ALARM_COLUMNS} FROM "charger_alarm" WHERE ${SITE} AND $timeFilter`, { table: true }),
    fromAnnotations: true,
    textColumn: "type",
    tagsColumn: "charger,port",
  },
};

/** Wh meter increase per 5 minutes per port (a meter reset is dropped, not counted negative). */
const ENERGY_WH = `SELECT non_negative_derivative(max("energy_wh"), 5m) AS "wh" FROM "charger_port" WHERE ${SITE} AND $timeFilter GROUP BY time(5m), "charger", "port"`;

export const chargers = board({
  uid: "linli-chargers",
  title: "充电棚",
  description: "Bike-shed chargers: power per shed, ports in use, energy per day, port temperatures against the 90 °C over-temperature limit, alarms as annotations, sessions by stop reason.",
  tags: ["chargers"],
  annotations: [alarms as AnnotationQuery],
  panels: [
    stat({
      title: "在用端口",
      description: "Ports charging in the 2 minutes before the end of the range, all sheds.",
      unit: "short",
      steps: INFO,
      gridPos: at(0, 0, 4, 7),
      targets: [q("A", `SELECT sum("charging") AS "in_use" FROM (SELECT last("charging") AS "charging" FROM "charger_port" WHERE ${SITE} AND ${RECENT("2m")} GROUP BY "charger", "port")`, { alias: "在用" })],
    }),
    timeseries({
      title: "各充电棚功率",
      description: "Power drawn per shed (sum of its ports' mean power per interval).",
      unit: "watt",
      steps: WORSE(2_000, 2_500),
      gridPos: at(4, 0, 20, 7),
      interval: "1m",
      stack: true,
      targets: [
        q(
          "A",
          `SELECT sum("power_w") AS "power" FROM (SELECT mean("power_w") AS "power_w" FROM "charger_port" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "charger", "port") WHERE $timeFilter GROUP BY time($__interval), "charger" fill(none)`,
          { alias: "$tag_charger" },
        ),
      ],
    }),
    timeseries({
      title: "端口温度",
      description: "Hottest port per shed. The red line is the 90 °C over-temperature limit at which a charger raises over_temp and cuts the port; alarms are marked on the time axis.",
      unit: "celsius",
      steps: WORSE(70, 90),
      showThresholds: "line+area",
      softMax: 100,
      gridPos: at(0, 7, 16, 9),
      interval: "1m",
      targets: [q("A", `SELECT max("temp_c") AS "temp" FROM "charger_port" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "charger" fill(none)`, { alias: "$tag_charger" })],
    }),
    timeseries({
      title: "在用端口数",
      description: "Ports charging per shed over time.",
      unit: "short",
      steps: INFO,
      gridPos: at(16, 7, 8, 9),
      interval: "1m",
      stack: true,
      targets: [
        q(
          "A",
          `SELECT sum("charging") AS "in_use" FROM (SELECT max("charging") AS "charging" FROM "charger_port" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "charger", "port") WHERE $timeFilter GROUP BY time($__interval), "charger" fill(none)`,
          { alias: "$tag_charger" },
        ),
      ],
    }),
    timeseries({
      title: "每日用电",
      description: "Energy delivered per shed per day (China Standard Time days), in kWh, last 7 days.",
      unit: "kwatth",
      decimals: 1,
      steps: INFO,
      gridPos: at(0, 16, 12, 8),
      timeFrom: "7d",
      style: "bars",
      stack: true,
      targets: [q("A", `SELECT sum("wh") / 1000 AS "kwh" FROM (${ENERGY_WH}) WHERE $timeFilter GROUP BY time(1d), "charger" fill(0) tz('Asia/Shanghai')`, { alias: "$tag_charger" })],
    }),
    pie({
      title: "充电结束原因",
      description: "Finished charging sessions by why they stopped (full, user, timeout, fault, power_loss).",
      unit: "short",
      steps: INFO,
      gridPos: at(12, 16, 6, 8),
      targets: [q("A", `SELECT count("session_id") AS "sessions" FROM "charger_session" WHERE ${SITE} AND $timeFilter GROUP BY "reason"`, { alias: "$tag_reason" })],
    }),
    stat({
      title: "平均每次充电",
      description: "Mean energy per finished session and mean session length.",
      unit: "watth",
      steps: INFO,
      gridPos: at(18, 16, 6, 8),
      targets: [q("A", `SELECT mean("energy_wh") AS "energy", mean("duration_s") AS "duration" FROM "charger_session" WHERE ${SITE} AND $timeFilter`, { alias: "$col" })],
      overrides: [unitOf("duration", "s")],
    }),
    table({
      title: "告警记录",
      description: "Charger alarms in the range, newest first. `value` is the reading that tripped the alarm in the alarm type's own unit (°C for over_temp, A for over_current, W for over_power).",
      unit: "string",
      steps: INFO,
      gridPos: at(0, 24, 24, 8),
      targets: [q("A", `SELECT ${ALARM_COLUMNS} FROM "charger_alarm" WHERE ${SITE} AND $timeFilter ORDER BY time DESC LIMIT 200`, { table: true })],
      overrides: [unitOf("value", "short", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }]), unitOf("threshold", "short"), unitOf("port", "string")],
    }),
  ],
});
