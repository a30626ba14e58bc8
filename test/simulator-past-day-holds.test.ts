import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { parseConfig } from "../gateway/config.ts";
import { sinkFor } from "../gateway/influx/connect.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { pointContext } from "../gateway/privacy.ts";
import { writePastDay } from "../gateway/simulate/past-day.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";

const HOUR = 3_600_000;

interface Panel {
  title: string;
  targets?: Array<{ query?: string }>;
}

/** `linli simulate --past-day` writes the lift guard's holds too, so the lifts board's hold panels are not empty (issue 16, part 3). */
describe("simulated past day: lift holds", () => {
  let influx: Influxd;
  const end = Date.now();

  beforeAll(async () => {
    influx = await startInfluxd();
    const config = parseConfig({ influx: { url: influx.url } }, {});
    const sink = sinkFor(config.influx, allMeasurements);
    await writePastDay(deviceKinds, allMeasurements, sink, pointContext(config.privacy), { site: "demo", seed: 5, hours: 3, end, counts: { lift: 10, gate: 1, charger: 1, throw: 1 } });
    await sink.close();
  }, 60_000);
  afterAll(async () => {
    await influx?.stop();
  });

  const count = async (q: string) => Number((await influx.query("linli", q))[0]?.values[0]?.[1] ?? 0);

  it("holds start and end in the lifts, with end reasons and frame-to-hold latency, as the guard writes them live", async () => {
    const starts = await count(`SELECT count(hold_id) FROM lift_block WHERE phase = 'start'`);
    const ends = await count(`SELECT count(hold_id) FROM lift_block WHERE phase = 'end'`);
    // about two e-bikes an hour in each of 10 lifts over 3 hours
    expect(starts).toBeGreaterThan(20);
    expect(starts).toBeLessThan(150);
    // one lift is still held when the stretch ends
    expect(ends).toBeGreaterThan(starts - 11);
    expect(ends).toBeLessThan(starts);
    const reasons = await influx.query("linli", `SELECT count(hold_id) FROM lift_block WHERE phase = 'end' GROUP BY end_reason`);
    expect(reasons.map((s) => s.tags?.end_reason)).toContain("cleared");
    const lifts = await influx.query("linli", `SELECT count(hold_id) FROM lift_block GROUP BY lift`);
    expect(lifts.length).toBeGreaterThanOrEqual(8);
    expect(await count(`SELECT count(latency_ms) FROM lift_hold_latency`)).toBeGreaterThan(20);
    const first = await influx.query("linli", `SELECT first(hold_id) FROM lift_block WHERE time < ${(end - 3 * HOUR) * 1e6}`);
    expect(first).toEqual([]); // nothing before the stretch
  });

  it("gives every hold panel of the lifts board rows", async () => {
    const board = JSON.parse(readFileSync(new URL("../dashboards/linli-lifts.json", import.meta.url), "utf8")) as { panels: Panel[] };
    const queries = board.panels.flatMap((p) => (p.targets ?? []).filter((t) => /lift_block|lift_hold_latency/.test(t.query ?? "")).map((t) => ({ title: p.title, query: t.query! })));
    expect(queries.length).toBeGreaterThanOrEqual(5);
    for (const { title, query } of queries) {
      const q = query
        .replaceAll("/^$site$/", "/^demo$/")
        .replaceAll("$timeFilter", `time >= ${(end - 3 * HOUR) * 1e6} AND time <= ${(end + 60_000) * 1e6}`)
        .replaceAll("$__interval", "10m");
      const series = await influx.query("linli", q);
      expect(series.flatMap((s) => s.values).length, `${title}: ${q}`).toBeGreaterThan(0);
    }
  });
});
