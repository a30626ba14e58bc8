import type { DeviceKind, PointContext } from "../../devices/types.ts";
import { alertsConfigSchema, type AlertsConfig } from "../alerts/config.ts";
import { detectorConfigSchema, type DetectorConfig } from "../detector/config.ts";
import { gatewayPoints } from "../health.ts";
import { GatewayMetrics } from "../metrics.ts";
import type { Measurement, Point } from "../influx/point.ts";
import type { Sink } from "../influx/sink.ts";
import { PointStamper } from "../influx/stamp.ts";
import { checkPoint } from "../influx/validate.ts";
import { IngestPipeline } from "../ingest/pipeline.ts";
import { deviceTopic } from "../ingest/topic.ts";
import type { HoldRecord } from "../lift/events.ts";
import type { EndReason } from "../lift/guard.ts";
import { holdPoint, liftHoldLatency, verdictPoint } from "../lift/records.ts";
import { ordersConfigSchema, type OrdersConfig } from "../orders/config.ts";
import { parkingConfigSchema, type ParkingConfig } from "../parking/config.ts";
import { encodePayload, Fleet, seededRandom, type FleetOptions } from "./fleet.ts";
import { SimulatedCarParks } from "./car-parks.ts";
import { SimulatedDetector } from "./detector.ts";
import { SimulatedOffice } from "./office.ts";

/** About twice an hour per lift an e-bike is wheeled in, as in the live simulator (devices/lift.ts). */
const EBIKES_PER_HOUR = 2;
/** The guard's default longest hold (lift.maxHoldMs), after which it lets go and alerts. */
const MAX_HOLD_MS = 120_000;

/** How the simulated holds end: mostly the rider leaves; now and then staff, the time limit or a safety release. */
function endOf(random: () => number): { reason: EndReason; durationMs: number } {
  const r = random();
  if (r < 0.8) return { reason: "cleared", durationMs: Math.round(15_000 + 45_000 * random()) };
  if (r < 0.92) return { reason: "staff", durationMs: Math.round(20_000 + 60_000 * random()) };
  if (r < 0.97) return { reason: "max_hold", durationMs: MAX_HOLD_MS };
  return { reason: "safety", durationMs: Math.round(5_000 + 10_000 * random()) };
}

/**
 * The lift guard's records for the simulated day, which runs no model: an e-bike now and then in
 * each lift (scored near its peakScore by SimulatedDetector while it is held), held as the guard
 * holds it live (`lift_block` start and end through holdPoint, and the frame-to-hold
 * `lift_hold_latency`), and staff's verdict on the holds they release (`lift_verdict`,
 * for the reports' false holds), so every panel of the lifts board has data. Its own random
 * stream, so the devices' traffic is the same with or without it.
 */
class SimulatedHolds {
  readonly #random: () => number;
  /** per lift, the end of the hold under way */
  readonly #busyUntil = new Map<string, number>();
  #seq = 0;
  /** the first lift is caught holding as the stretch ends, so the board's "held now" panel has a lift to show */
  #heldAtEnd = false;

  constructor(
    private readonly site: string,
    private readonly lifts: readonly string[],
    /** a hold that would end after the stretch is still under way at its end: no end point */
    private readonly end: number,
    seed: number,
    /** each record as the guard announces it (`lift.hold`), for the alert rules */
    private readonly onRecord: (record: HoldRecord) => void,
  ) {
    this.#random = seededRandom(seed ^ 0x5eed);
  }

  /** The hold points of one simulated second. */
  tick(now: number): Point[] {
    const out: Point[] = [];
    for (const lift of this.lifts) {
      const busy = now < (this.#busyUntil.get(lift) ?? 0);
      const last = lift === this.lifts[0] && !this.#heldAtEnd && now >= this.end - 30_000;
      if (busy || (!last && this.#random() >= EBIKES_PER_HOUR / 3_600)) continue;
      if (last) this.#heldAtEnd = true;
      const holdId = `sim-hold-${++this.#seq}`;
      const peakScore = Math.round((0.55 + 0.4 * this.#random()) * 1_000) / 1_000;
      const latencyMs = Math.round(150 + 450 * this.#random());
      const written = this.#random() > 0.02;
      const { reason, durationMs } = last ? { reason: "cleared" as const, durationMs: 60_000 } : endOf(this.#random);
      const site = this.site;
      const started: HoldRecord = { site, lift, holdId, phase: "start", ts: now, startedAt: now, reason: "ebike", peakScore, latencyMs, written };
      out.push(holdPoint(started));
      this.onRecord(started);
      if (written) out.push({ measurement: liftHoldLatency.name, tags: { site, lift, link: "opcua" }, fields: { latency_ms: latencyMs }, ts: now });
      if (now + durationMs <= this.end) {
        const ended: HoldRecord = { site, lift, holdId, phase: "end", ts: now + durationMs, startedAt: now, reason: "ebike", peakScore, endReason: reason, durationMs, detail: `simulated: ${reason}` };
        out.push(holdPoint(ended));
        this.onRecord(ended);
        // staff releasing a hold say whether there was an e-bike: about half of theirs were false holds
        if (reason === "staff") out.push(verdictPoint({ site, lift, holdId, verdict: this.#random() < 0.5 ? "no_ebike" : "ebike", by: "simulated guard", ts: now + durationMs }));
      }
      this.#busyUntil.set(lift, now + durationMs);
    }
    return out;
  }
}

export interface PastDayOptions extends FleetOptions {
  site: string;
  /** the end of the simulated stretch (default: now) */
  end?: number;
  hours?: number;
  batchSize?: number;
  /** one malformed message in this many, so the rejected-messages panels have something to show */
  corruptEvery?: number;
  /** the rules and timings of the alerts and work orders written for the stretch (default: the features' defaults) */
  alerts?: AlertsConfig;
  orders?: OrdersConfig;
  /** the car parks counted from the gates' plate reads (default: one behind every simulated gate) */
  parking?: ParkingConfig;
  /** the model named on the detector's verdicts, its threshold and idle judging rate (default: the feature's defaults) */
  detector?: DetectorConfig;
  onProgress?: (simulatedUpTo: number, points: number) => void;
}

/**
 * Writes a past stretch of a compound's life (a day by default) straight into InfluxDB, through
 * the same pipeline and point builders as live traffic, as fast as InfluxDB takes it: the devices'
 * traffic, the detector's verdicts on the lift cameras (detector.ts), the lift guard's holds, the
 * alerts and work orders they raise (office.ts) and the car park counts (car-parks.ts). The data the Grafana boards and the reports are proven against.
 */
export async function writePastDay(kinds: readonly DeviceKind[], measurements: readonly Measurement[], sink: Sink, ctx: PointContext, options: PastDayOptions): Promise<{ points: number; messages: number }> {
  const end = options.end ?? Date.now();
  const start = end - (options.hours ?? 24) * 3_600_000;
  const fleet = new Fleet(kinds, options);
  let clock = start;
  // what a gateway taking this traffic would have counted, for the health board
  const metrics = new GatewayMetrics(options.site);
  const pipeline = new IngestPipeline(kinds, { site: options.site, maxClockSkewMs: 300_000, dedupWindow: 100_000, maxBytes: {}, pointContext: ctx, counters: metrics, now: () => clock });
  const batchSize = options.batchSize ?? 5_000;
  const corruptEvery = options.corruptEvery ?? 2_000;
  const tags = { site: options.site, host: "simulator" };
  const byName = new Map(measurements.map((m) => [m.name, m]));
  let batch: Point[] = [];
  const stamper = new PointStamper();
  // The same checks and stamps as the live writer: the day is written exactly as live traffic would be.
  const add = (p: Point) => {
    const checked = checkPoint(p, byName);
    if (!checked.ok) throw new Error(`simulated point refused: ${checked.error}`);
    batch.push(stamper.stamp(checked.point, byName.get(p.measurement)?.identity));
    // Counted as the batch takes it: a batch the sink refuses fails the whole day.
    metrics.pointsWritten(1);
  };
  let points = 0;
  let messages = 0;
  const office = new SimulatedOffice({ kinds, alerts: options.alerts ?? alertsConfigSchema.parse({}), orders: options.orders ?? ordersConfigSchema.parse({}), seed: options.seed, end }, add);
  const parking = options.parking ?? parkingConfigSchema.parse({});
  const parks = parking.enabled ? new SimulatedCarParks(options.site, parking, fleet.deviceIds("gate"), ctx, add, (d) => office.deniedPlate(d)) : undefined;
  const detectorConfig = options.detector ?? detectorConfigSchema.parse({});
  const detector = detectorConfig.enabled ? new SimulatedDetector(options.site, fleet.deviceIds("lift"), detectorConfig, options.seed) : undefined;
  const holds = new SimulatedHolds(options.site, fleet.deviceIds("lift"), end, options.seed, (r) => {
    office.hold(r);
    detector?.hold(r);
  });

  const flush = async () => {
    if (batch.length === 0) return;
    await sink.write(batch);
    points += batch.length;
    batch = [];
  };

  await sink.ensure();
  // the office's and car parks' stores are in memory: closed however the day ends
  try {
    for (; clock <= end; clock += 1_000) {
      for (const m of fleet.tick(clock)) {
        messages++;
        const topic = deviceTopic({ site: options.site, kind: m.kind, deviceId: m.deviceId, channel: m.channel });
        const payload = messages % corruptEvery === 0 ? Buffer.from("{not json") : encodePayload(m.payload);
        const outcome = pipeline.accept({ topic, payload });
        if (outcome.status !== "accepted") continue;
        for (const p of outcome.points) add(p);
        office.deviceEvent(outcome.event, clock);
        parks?.deviceEvent(outcome.event);
        detector?.deviceEvent(outcome.event);
      }
      for (const p of holds.tick(clock)) add(p);
      // after the holds: a hold that starts this second is judged from its first frame
      for (const p of detector?.tick(clock) ?? []) add(p);
      office.advance(clock);
      if (clock % 10_000 < 1_000) for (const p of gatewayPoints(tags, metrics, clock, Math.round((clock - start) / 1000))) add(p);
      if (batch.length >= batchSize) {
        await flush();
        options.onProgress?.(clock, points);
      }
    }
    await flush();
  } finally {
    office.close();
    parks?.close();
  }
  return { points, messages };
}
