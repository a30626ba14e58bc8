import { at, BETTER, board, INFO, q, SITE, stat, timeseries, WORSE } from "./kit.ts";

const PLATE_PASSED = `${SITE} AND "method" = 'plate' AND "granted" = 'true'`;
/** in minus out: the two directions unioned, the exits negated, summed by InfluxDB itself */
const net = (group: string) =>
  `(SELECT sum("count") AS "n" FROM "gate_pass" WHERE ${PLATE_PASSED} AND "direction" = 'in' AND $timeFilter${group}), ` +
  `(SELECT -1 * sum("count") AS "n" FROM "gate_pass" WHERE ${PLATE_PASSED} AND "direction" = 'out' AND $timeFilter${group})`;

/** the parking feature's count after each entry, exit or staff correction (docs/parking.md) */
const PARKING = `FROM "parking_occupancy" WHERE ${SITE} AND $timeFilter`;

export const gates = board({
  uid: "linli-gates",
  title: "门禁与停车",
  description: "Gates and parking: entries and exits per gate per hour, vehicles inside (in minus out), refused entries, recognition confidence; cars in each car park and free spaces (gateway/parking).",
  tags: ["gates"],
  panels: [
    stat({
      title: "场内车辆净增（进−出）",
      description: "Vehicles let in minus vehicles let out (plate recognitions, granted) over the range: the change in cars inside. Add the car park's count at the start of the range for the absolute figure.",
      unit: "short",
      steps: INFO,
      gridPos: at(0, 0, 6, 6),
      targets: [q("A", `SELECT sum("n") AS "inside" FROM ${net("")}`, { alias: "净增" })],
    }),
    stat({
      title: "今日拒绝通行",
      description: "Recognitions refused today (unknown plate or person: visitors, tailgating attempts), all gates.",
      unit: "short",
      steps: WORSE(50, 200),
      gridPos: at(6, 0, 6, 6),
      timeFrom: "now/d",
      reduce: "sum",
      targets: [q("A", `SELECT sum("count") AS "refused" FROM "gate_pass" WHERE ${SITE} AND "granted" = 'false' AND $timeFilter`, { alias: "拒绝" })],
    }),
    timeseries({
      title: "场内车辆变化",
      description: "Running total of vehicles in minus out since the start of the range, hour by hour.",
      unit: "short",
      steps: INFO,
      gridPos: at(12, 0, 12, 6),
      targets: [q("A", `SELECT cumulative_sum(sum("n")) AS "inside" FROM ${net(" GROUP BY time(1h)")} WHERE $timeFilter GROUP BY time(1h) fill(0)`, { alias: "场内净增" })],
    }),
    timeseries({
      title: "各门每小时进出",
      description: "Granted passes per gate and direction, per hour.",
      unit: "short",
      steps: INFO,
      gridPos: at(0, 6, 24, 9),
      style: "bars",
      stack: true,
      targets: [
        q("A", `SELECT sum("count") AS "passes" FROM "gate_pass" WHERE ${SITE} AND "granted" = 'true' AND $timeFilter GROUP BY time(1h), "gate", "direction" fill(0)`, {
          alias: "$tag_gate $tag_direction",
        }),
      ],
    }),
    timeseries({
      title: "拒绝通行",
      description: "Refused recognitions per gate and method (plate, face, card, QR), per hour.",
      unit: "short",
      steps: WORSE(10, 30),
      gridPos: at(0, 15, 12, 8),
      style: "bars",
      stack: true,
      targets: [
        q("A", `SELECT sum("count") AS "refused" FROM "gate_pass" WHERE ${SITE} AND "granted" = 'false' AND $timeFilter GROUP BY time(1h), "gate", "method" fill(0)`, {
          alias: "$tag_gate $tag_method",
        }),
      ],
    }),
    timeseries({
      title: "识别置信度",
      description: "Recognition confidence by method: mean and lowest per interval. Below 80 % is red (poor light, dirty plate, camera misaligned).",
      unit: "percentunit",
      min: 0,
      max: 1,
      steps: BETTER(0.8, 0.9),
      showThresholds: "dashed",
      gridPos: at(12, 15, 12, 8),
      interval: "10m",
      targets: [
        q("A", `SELECT mean("confidence") AS "mean", min("confidence") AS "min" FROM "gate_pass" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "method" fill(none)`, {
          alias: "$tag_method $col",
        }),
      ],
    }),
    stat({
      title: "各车场场内车辆",
      description: "Cars in each car park now, as the parking feature counts them: entries minus exits at its gates, reset by staff counts (the nightly count, the parking page).",
      unit: "short",
      steps: INFO,
      gridPos: at(0, 23, 6, 8),
      targets: [q("A", `SELECT last("cars") AS "cars" ${PARKING} GROUP BY "car_park"`, { alias: "$tag_car_park" })],
    }),
    stat({
      title: "各车场空余车位",
      description: "Free spaces in each car park now: its capacity minus the cars counted inside. Red when fewer than 5.",
      unit: "short",
      steps: BETTER(5, 20),
      gridPos: at(6, 23, 6, 8),
      targets: [q("A", `SELECT last("free") AS "free" ${PARKING} GROUP BY "car_park"`, { alias: "$tag_car_park" })],
    }),
    timeseries({
      title: "车场占用",
      description: "Cars in each car park over the range, against its capacity; a step with no entry or exit is a staff count.",
      unit: "short",
      steps: INFO,
      gridPos: at(12, 23, 12, 8),
      interval: "5m",
      targets: [
        q("A", `SELECT last("cars") AS "cars", last("capacity") AS "capacity" ${PARKING} GROUP BY time($__interval), "car_park" fill(previous)`, {
          alias: "$tag_car_park $col",
        }),
      ],
    }),
  ],
});
