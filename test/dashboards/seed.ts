import { deviceKinds } from "../../devices/index.ts";
import { parseConfig } from "../../gateway/config.ts";
import { sinkFor } from "../../gateway/influx/connect.ts";
import { defineMeasurement, type Measurement, type Point } from "../../gateway/influx/point.ts";
import { allMeasurements } from "../../gateway/measurements.ts";
import { pointContext } from "../../gateway/privacy.ts";
import { seededRandom } from "../../gateway/simulate/fleet.ts";
import { writePastDay } from "../../gateway/simulate/past-day.ts";

/**
 * The data the boards are proven against: a simulated day through the real ingest pipeline
 * (`writePastDay`), plus what that mode does not produce because it runs no detector, no lift
 * guard, no alert engine and no memory sampler. Those supplements are written here, in the shapes
 * their writers use (or, for `alert`, the shape the boards expect: see dashboards/README.md), and
 * the schema check in dashboards.test.ts still holds every panel to docs/schema.md.
 */
export interface SeedOptions {
  url: string;
  site: string;
  /** epoch ms: the end of the simulated stretch */
  end: number;
  hours: number;
  seed: number;
  counts: Record<string, number>;
}

export const SIMULATOR_HOST = "simulator";

/** lift_block as gateway/lift/records.ts writes it (one point at a hold's start, one at its end). */
const liftBlock = defineMeasurement({
  name: "lift_block",
  description: "supplement",
  tags: ["site", "lift", "phase", "end_reason"],
  fields: { hold_id: "string", reason: "string", duration_ms: "integer", peak_score: "float", latency_ms: "integer" },
});

/** alert: one point per alert state change (opened, acknowledged, resolved). */
const alert = defineMeasurement({
  name: "alert",
  description: "supplement",
  tags: ["site", "type", "severity", "event"],
  fields: { alert_id: "string", ack_ms: "integer", count: "integer" },
});

const supplementMeasurements: readonly Measurement[] = [liftBlock, alert];

export interface SeedResult {
  points: number;
  messages: number;
  supplements: number;
}

export async function seedDay(o: SeedOptions): Promise<SeedResult> {
  const config = parseConfig({ influx: { url: o.url } }, {});
  // the registry's own definitions win where they exist
  const byName = new Map([...supplementMeasurements, ...allMeasurements].map((m) => [m.name, m]));
  const sink = sinkFor(config.influx, [...byName.values()]);
  const day = await writePastDay(deviceKinds, sink, pointContext(config.privacy), { site: o.site, seed: o.seed, hours: o.hours, end: o.end, counts: o.counts });
  const extra = supplements(o);
  for (let i = 0; i < extra.length; i += 5_000) await sink.write(extra.slice(i, i + 5_000));
  await sink.close();
  return { ...day, supplements: extra.length };
}

function supplements(o: SeedOptions): Point[] {
  const random = seededRandom(o.seed + 1);
  const start = o.end - o.hours * 3_600_000;
  const out: Point[] = [];
  const lifts = Array.from({ length: o.counts.lift ?? 0 }, (_, i) => `lift-${String(i + 1).padStart(2, "0")}`);

  // the gateway's memory, merged into the simulator's `gateway` points (same series, same timestamps)
  for (let t = start; t <= o.end; t += 1_000) {
    if (t % 10_000 >= 1_000) continue;
    const uptime = Math.round((t - start) / 1000);
    out.push({
      measurement: "gateway",
      tags: { site: o.site, host: SIMULATOR_HOST },
      ts: t,
      fields: { heap_used_bytes: Math.round(60e6 + 20e6 * random()), rss_bytes: Math.round(180e6 + 30e6 * random()), uptime_s: uptime },
    });
  }

  // the detector's verdict on every lift frame (one every 15 s per lift)
  for (const lift of lifts) {
    for (let t = start; t <= o.end; t += 15_000) {
      const ebike = random() < 0.01;
      const score = ebike ? 0.5 + 0.45 * random() : 0.3 * random();
      const inference = 25 + 40 * random();
      out.push({
        measurement: "lift_frame",
        tags: { site: o.site, lift, model: "yolox-nano-coco-416" },
        ts: t,
        fields: { inference_ms: inference, total_ms: inference + 5 + 10 * random(), ebike_score: score, ebike, detections: Math.floor(4 * random()) + (ebike ? 1 : 0), dropped: random() < 0.05 ? 1 + Math.floor(3 * random()) : 0 },
      });
    }
  }

  // lift holds: a few per lift per day; the first lift is still held at the end
  let hold = 0;
  for (const [i, lift] of lifts.entries()) {
    for (let t = start + 1_800_000 + i * 600_000; t < o.end - 3_600_000; t += 4 * 3_600_000 + Math.round(3_600_000 * random())) {
      const id = `hold-${++hold}`;
      const duration = Math.round(20_000 + 100_000 * random());
      const peak = 0.55 + 0.4 * random();
      out.push({ measurement: "lift_block", tags: { site: o.site, lift, phase: "start" }, ts: t, fields: { hold_id: id, reason: "ebike", duration_ms: 0, peak_score: peak, latency_ms: Math.round(150 + 200 * random()) } });
      const endReason = random() < 0.8 ? "cleared" : "timeout";
      out.push({ measurement: "lift_block", tags: { site: o.site, lift, phase: "end", end_reason: endReason }, ts: t + duration, fields: { hold_id: id, reason: "ebike", duration_ms: duration, peak_score: peak } });
    }
  }
  if (lifts[0]) out.push({ measurement: "lift_block", tags: { site: o.site, lift: lifts[0], phase: "start" }, ts: o.end - 60_000, fields: { hold_id: `hold-${++hold}`, reason: "ebike", duration_ms: 0, peak_score: 0.81, latency_ms: 240 } });

  // alerts: opened, most acknowledged, most of those resolved; a few stay open
  const types = [
    ["throw", "critical"],
    ["charger_over_temp", "critical"],
    ["lift_hold", "warning"],
    ["device_silent", "info"],
  ] as const;
  for (let n = 0, t = start + 600_000; t < o.end - 600_000; n++, t += Math.round(1_200_000 + 2_400_000 * random())) {
    const [type, severity] = types[n % types.length] ?? types[0];
    const id = `al-${n + 1}`;
    out.push({ measurement: "alert", tags: { site: o.site, type, severity, event: "opened" }, ts: t, fields: { alert_id: id, count: 1 } });
    if (random() < 0.85) {
      const ack = Math.round(30_000 + 600_000 * random());
      out.push({ measurement: "alert", tags: { site: o.site, type, severity, event: "acknowledged" }, ts: t + ack, fields: { alert_id: id, ack_ms: ack, count: 1 } });
      if (random() < 0.9) out.push({ measurement: "alert", tags: { site: o.site, type, severity, event: "resolved" }, ts: t + ack + 300_000, fields: { alert_id: id, count: 1 } });
    }
  }
  return out;
}
