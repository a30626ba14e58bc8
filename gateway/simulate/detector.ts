import { lift, type LiftState } from "../../devices/lift.ts";
import { isChannel, type DeviceEvent } from "../../devices/types.ts";
import type { DetectorConfig } from "../detector/config.ts";
import { DoorAwareGate, SkipTally } from "../detector/door-gate.ts";
import { liftFramePoint, liftFrameSkipPoint } from "../detector/measurements.ts";
import type { Point } from "../influx/point.ts";
import type { CarState } from "../lift/controller/link.ts";
import type { HoldRecord } from "../lift/events.ts";
import { seededRandom } from "./fleet.ts";

/** The simulated cameras send 5 frames a second, as in the README's detector benchmark (30 lifts x 5 frames/s). */
const CAMERA_FRAME_MS = 200;
/**
 * The detector writes a point for every frame it judges: at 5 frames a second with doors open and
 * one a second (detector.idleJudgeMs) otherwise, about 130,000 a lift a day, more than the rest of
 * a simulated day together. So one judged frame in this many is written (and every frame that
 * started a hold): the scores, timings and drops keep their shape and the judged bars their
 * proportions over the day, at a tenth of their height; the skipped frames are counted in full.
 */
const WRITE_ONE_IN = 10;
/** As the detector flushes its skipped-frame counts (gateway/detector/feature.ts). */
const SKIP_FLUSH_MS = 10_000;
/** The built-in default model's score threshold (models/fastestdet-coco-352.yaml), unless detector.scoreThreshold replaces it. */
const DEFAULT_THRESHOLD = 0.5;
/** A held car: the guard keeps its doors open, so all its frames are judged. */
const HELD: CarState = { floor: 0, door: "open", moving: false, direction: "none", mode: "normal" };

interface Hold {
  startedAt: number;
  /** Infinity for a hold still under way when the stretch ends */
  until: number;
  peakScore: number;
}

/**
 * The detector's verdicts on the simulated lifts' frames (`lift_frame`, role active) and its counts
 * of frames not judged (`lift_frame_skip`), for the simulated day, which runs no model: which frames
 * are judged is decided by the detector's own door-aware gate on the simulated cars' `lift_state`
 * (and as held while SimulatedHolds holds them), and each verdict is drawn: an e-bike's score near
 * the hold's peak while it is held, low otherwise, with FastestDet's measured timings (README,
 * "Measured"). Its own random stream, so the devices' traffic is the same with or without it.
 */
export class SimulatedDetector {
  readonly #random: () => number;
  readonly #gate: DoorAwareGate;
  readonly #skips = new SkipTally();
  readonly #model: string;
  readonly #threshold: number;
  /** per lift, the car state it last reported */
  readonly #cars = new Map<string, CarState>();
  readonly #holds = new Map<string, Hold>();
  readonly #judged = new Map<string, number>();

  constructor(
    private readonly site: string,
    private readonly lifts: readonly string[],
    config: DetectorConfig,
    seed: number,
  ) {
    this.#random = seededRandom(seed ^ 0xde7ec7);
    this.#gate = new DoorAwareGate(config.idleJudgeMs);
    this.#model = config.model;
    this.#threshold = config.scoreThreshold ?? DEFAULT_THRESHOLD;
  }

  /** A car's state as the devices report it. */
  deviceEvent(event: DeviceEvent): void {
    if (!isChannel(event, lift, "state") || event.site !== this.site) return;
    const s: LiftState = event.data;
    this.#cars.set(event.deviceId, { floor: s.floor, door: s.door, moving: s.moving, direction: s.direction, mode: s.mode });
  }

  /** A hold as the guard announces it: its start and, the same second, its end. */
  hold(record: HoldRecord): void {
    if (record.phase === "start") this.#holds.set(record.lift, { startedAt: record.startedAt, until: Infinity, peakScore: record.peakScore });
    else {
      const hold = this.#holds.get(record.lift);
      if (hold?.startedAt === record.startedAt) hold.until = record.ts;
    }
  }

  /** The points of one simulated second: the judged frames written, and every 10 s the skipped ones. */
  tick(now: number): Point[] {
    const out: Point[] = [];
    for (const liftId of this.lifts) {
      const hold = this.#holds.get(liftId);
      for (let ts = now; ts < now + 1_000; ts += CAMERA_FRAME_MS) {
        // a hold ends to the millisecond, within the second
        const held = hold !== undefined && ts >= hold.startedAt && ts < hold.until;
        this.#gate.car(liftId, held ? HELD : (this.#cars.get(liftId) ?? null));
        const skip = this.#gate.admit(liftId, ts);
        if (skip) {
          this.#skips.add(liftId, skip);
          continue;
        }
        const n = (this.#judged.get(liftId) ?? 0) + 1;
        this.#judged.set(liftId, n);
        const started = held && ts === hold.startedAt;
        if (started || n % WRITE_ONE_IN === 0) out.push(this.#verdict(liftId, ts, held ? (started ? hold.peakScore : hold.peakScore * (0.7 + 0.3 * this.#random())) : undefined));
      }
    }
    if (now % SKIP_FLUSH_MS < 1_000) for (const s of this.#skips.take()) out.push(liftFrameSkipPoint({ site: this.site, ...s, ts: now }));
    return out;
  }

  /** A drawn verdict: `ebikeScore` while an e-bike is in the car, else a low one (a pram, a shopping trolley). */
  #verdict(liftId: string, ts: number, ebikeScore: number | undefined): Point {
    const r = this.#random;
    const score = ebikeScore ?? 0.3 * r() * r();
    const ebike = score >= this.#threshold;
    const inferenceMs = 3 + 1.5 * r();
    // JPEG decode and resize dominate: median about 15 ms, a slow tail to about 35
    const preprocessMs = 8 + 5 * r() + (r() < 0.05 ? 20 * r() : 0);
    const totalMs = inferenceMs + preprocessMs + 1 + r();
    return liftFramePoint({
      site: this.site,
      lift: liftId,
      model: this.#model,
      role: "active",
      ts,
      // a frame of a lift that can be held waits behind the others' in the detector's queue now and then
      waitMs: round(r() < 0.9 ? 5 * r() : 30 + 100 * r(), 10),
      preprocessMs: round(preprocessMs, 10),
      inferenceMs: round(inferenceMs, 10),
      totalMs: round(totalMs, 10),
      ebikeScore: round(score, 1_000),
      ebike,
      // riders and passers-by, and the e-bike once it scores above the threshold
      detections: Math.floor(3 * r()) + (ebike ? 1 : 0),
      // the latest-wins queue now and then drops a frame of a lift while an older one is judged
      dropped: r() < 0.03 ? 1 + Math.floor(2 * r()) : 0,
    });
  }
}

const round = (v: number, per: number) => Math.round(v * per) / per;
