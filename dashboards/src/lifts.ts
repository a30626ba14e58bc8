import { at, board, INFO, pie, q, SITE, stat, table, timeseries, unitOf, WORSE } from "./kit.ts";

/** The model that judges; a shadow model's frames (role=shadow) have their own panel. */
const ACTIVE = `"role" != 'shadow'`;

export const lifts = board({
  uid: "linli-lifts",
  title: "电梯",
  description: "Lifts: e-bike holds per lift and their duration, the detector's e-bike score and inference latency, frames dropped, lifts currently held.",
  tags: ["lifts"],
  panels: [
    stat({
      title: "正在拦截的电梯",
      description: "Lifts whose latest hold record in the range is a start without an end: held right now.",
      unit: "short",
      steps: WORSE(1, 1),
      gridPos: at(0, 0, 6, 6),
      targets: [
        q("A", `SELECT count("hold_id") AS "holding" FROM (SELECT last("hold_id") AS "hold_id", "phase" AS "phase" FROM "lift_block" WHERE ${SITE} AND $timeFilter GROUP BY "lift") WHERE "phase" = 'start'`, {
          alias: "拦截中",
        }),
      ],
    }),
    table({
      title: "各电梯最近一次拦截",
      description: "Each lift's latest hold record: phase (start = held now), why it ended, the peak e-bike score.",
      unit: "string",
      steps: INFO,
      gridPos: at(6, 0, 18, 6),
      targets: [
        q(
          "A",
          `SELECT last("hold_id") AS "hold_id", "phase" AS "phase", "end_reason" AS "end_reason", "peak_score" AS "peak_score", "duration_ms" AS "duration_ms" FROM "lift_block" WHERE ${SITE} AND $timeFilter GROUP BY "lift"`,
          { table: true },
        ),
      ],
      overrides: [unitOf("peak_score", "percentunit"), unitOf("duration_ms", "ms")],
    }),
    timeseries({
      title: "各电梯拦截次数",
      description: "Holds started per lift per interval (at least an hour).",
      unit: "short",
      steps: WORSE(3, 10),
      gridPos: at(0, 6, 12, 8),
      interval: "1h",
      style: "bars",
      stack: true,
      targets: [q("A", `SELECT count("hold_id") AS "holds" FROM "lift_block" WHERE ${SITE} AND "phase" = 'start' AND $timeFilter GROUP BY time($__interval), "lift" fill(0)`, { alias: "$tag_lift" })],
    }),
    timeseries({
      title: "拦截时长",
      description: "How long holds lasted, by the hour they ended: mean and longest. Orange past one minute, red past two.",
      unit: "ms",
      steps: WORSE(60_000, 120_000),
      showThresholds: "dashed",
      gridPos: at(12, 6, 8, 8),
      interval: "1h",
      style: "points",
      targets: [
        q("A", `SELECT mean("duration_ms") AS "mean", max("duration_ms") AS "max" FROM "lift_block" WHERE ${SITE} AND "phase" = 'end' AND $timeFilter GROUP BY time($__interval) fill(none)`, {
          alias: "$col",
        }),
      ],
    }),
    pie({
      title: "拦截结束原因",
      description: "Why holds ended (cleared: the e-bike left; max_hold: released at the guard's time limit; staff: released by hand; fault, safety: the lift or the link needed it).",
      unit: "short",
      steps: INFO,
      gridPos: at(20, 6, 4, 8),
      targets: [q("A", `SELECT count("hold_id") AS "holds" FROM "lift_block" WHERE ${SITE} AND "phase" = 'end' AND $timeFilter GROUP BY "end_reason"`, { alias: "$tag_end_reason" })],
    }),
    timeseries({
      title: "电动车识别分数",
      description: "The detector's best e-bike score per lift (highest in each interval), 0-100 %. The dashed line is the model's default threshold (0.4).",
      unit: "percentunit",
      min: 0,
      max: 1,
      steps: WORSE(0.3, 0.4),
      showThresholds: "dashed",
      gridPos: at(0, 14, 12, 8),
      targets: [q("A", `SELECT max("ebike_score") AS "score" FROM "lift_frame" WHERE ${SITE} AND ${ACTIVE} AND $timeFilter GROUP BY time($__interval), "lift" fill(none)`, { alias: "$tag_lift" })],
    }),
    timeseries({
      title: "识别耗时",
      description: "Detector latency per frame: mean inference time and the 95th percentile of the whole judgement (decode, preprocess, inference, decode of outputs). Orange past 200 ms, red past 500 ms.",
      unit: "ms",
      steps: WORSE(200, 500),
      showThresholds: "line",
      gridPos: at(12, 14, 6, 8),
      targets: [
        q("A", `SELECT mean("inference_ms") AS "inference", percentile("total_ms", 95) AS "total_p95" FROM "lift_frame" WHERE ${SITE} AND ${ACTIVE} AND $timeFilter GROUP BY time($__interval) fill(none)`, {
          alias: "$col",
        }),
      ],
    }),
    timeseries({
      title: "丢帧",
      description: "Frames the detector skipped because a newer one from the same lift arrived first (latest wins), per lift.",
      unit: "short",
      steps: WORSE(10, 50),
      gridPos: at(18, 14, 6, 8),
      interval: "10m",
      style: "bars",
      stack: true,
      targets: [q("A", `SELECT sum("dropped") AS "dropped" FROM "lift_frame" WHERE ${SITE} AND ${ACTIVE} AND $timeFilter GROUP BY time($__interval), "lift" fill(0)`, { alias: "$tag_lift" })],
    }),
    timeseries({
      title: "各电梯识别与跳过的帧",
      description: "Door-aware judging: frames judged per lift (all of a car that could be held: doors open, stopped, normal mode), and frames skipped while it could not (doors closed, moving, not in normal mode), which are judged at detector.idleJudgeMs only.",
      unit: "short",
      steps: INFO,
      gridPos: at(0, 30, 24, 8),
      interval: "10m",
      style: "bars",
      stack: true,
      targets: [
        q("A", `SELECT count("ebike_score") AS "judged" FROM "lift_frame" WHERE ${SITE} AND ${ACTIVE} AND $timeFilter GROUP BY time($__interval), "lift" fill(0)`, { alias: "$tag_lift judged" }),
        q("B", `SELECT sum("count") AS "skipped" FROM "lift_frame_skip" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "lift", "reason" fill(0)`, { alias: "$tag_lift skipped: $tag_reason" }),
      ],
    }),
    timeseries({
      title: "在用模型与影子模型",
      description: "The best e-bike score per interval of each model on the same frames: the active one (role=active) and a candidate in shadow mode (role=shadow), which holds nothing. Where the two lines part, the candidate would change the guard: label those frames (collected as disagreements) before promoting it.",
      unit: "percentunit",
      min: 0,
      max: 1,
      steps: INFO,
      gridPos: at(0, 22, 24, 8),
      interval: "10m",
      targets: [q("A", `SELECT max("ebike_score") AS "score" FROM "lift_frame" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "model", "role" fill(none)`, { alias: "$tag_role $tag_model" })],
    }),
  ],
});
