import { Counter, type Registry } from "prom-client";
import { lift as liftKind } from "../../devices/lift.ts";
import { isChannel } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import type { LiftDetection } from "../detector/events.ts";
import type { CarState } from "../lift/controller/link.ts";
import type { LearningConfig } from "./config.ts";
import type { CollectedFrame, FrameReason, FrameStore, Prediction } from "./store.ts";
import { loadSharp } from "../sharp.ts";

interface Picture {
  frameTs: number;
  image: Buffer;
  format: "jpeg" | "png";
}

/** How far back a hold's trigger frame, or a marked frame's verdict, is looked for. */
const RECENT = 8;

const capKey: Record<FrameReason, keyof LearningConfig["capsPerLiftPerDay"]> = {
  hold: "hold",
  near_miss: "nearMiss",
  negative: "negative",
  marked: "marked",
  disagreement: "disagreement",
};

/** The model's boxes as the labelling page starts from them: e-bike calls as `ebike`, others by the model's label. */
export function predictionsOf(d: LiftDetection): Prediction[] {
  return d.detections.map((x) => ({
    cls: x.ebike ? "ebike" : x.label,
    score: Math.round(x.score * 1000) / 1000,
    x: x.box.x / d.frameWidth,
    y: x.box.y / d.frameHeight,
    w: x.box.w / d.frameWidth,
    h: x.box.h / d.frameHeight,
  }));
}

/** A frame nobody has judged yet (the detector off or behind): its size from the picture itself. */
async function sizeOf(image: Buffer): Promise<{ width: number; height: number }> {
  const sharp = await loadSharp();
  const meta = await sharp(image).metadata().catch(() => undefined);
  return { width: meta?.width ?? 0, height: meta?.height ?? 0 };
}

const doorsOpen = (car: CarState | null | undefined) => !!car && !car.moving && (car.door === "open" || car.door === "opening");

/**
 * Decides which lift frames are worth a label and keeps them (picture in the evidence store, row in
 * the frame store): each hold's best frames, near misses, a few door-open frames without a
 * candidate, frames staff mark, and frames a shadow model judged differently. Each kind has a cap per
 * lift per day, so a busy lift cannot bury the others.
 */
export class FrameCollector {
  /** the latest frame of each lift: its bytes, by reference, for frames the detector sends without them */
  readonly #latest = new Map<string, Picture>();
  readonly #recent = new Map<string, LiftDetection[]>();
  readonly #cars = new Map<string, CarState | null>();
  /** per lift, the hold in progress and the best score kept of it */
  readonly #holds = new Map<string, { id: string; best: number }>();
  readonly #kept: Counter<"reason">;
  readonly #skipped: Counter<"reason" | "why">;

  constructor(
    private readonly core: Core,
    private readonly cfg: LearningConfig,
    private readonly store: FrameStore,
    registry: Registry,
    private readonly random: () => number = Math.random,
  ) {
    this.#kept = new Counter({ name: "linli_learning_frames_kept_total", help: "Lift frames kept for labelling, by reason", labelNames: ["reason"], registers: [registry] });
    this.#skipped = new Counter({ name: "linli_learning_frames_skipped_total", help: "Lift frames worth a label that were not kept, by reason and why (cap, no_picture, failed)", labelNames: ["reason", "why"], registers: [registry] });
  }

  listen(): void {
    const { bus, config } = this.core;
    bus.on("device.event", (e) => {
      if (e.site === config.site && isChannel(e, liftKind, "frame")) this.#latest.set(e.deviceId, { frameTs: e.ts, image: e.data.image, format: e.data.format });
    });
    bus.on("lift.car", (c) => {
      if (c.site === config.site) this.#cars.set(c.lift, c.state);
    });
    bus.on("lift.detection", (d) => {
      if (d.site === config.site) this.#onDetection(d);
    });
    bus.on("lift.detection.shadow", (d) => {
      if (d.site === config.site) this.#onShadow(d);
    });
    bus.on("lift.hold", (h) => {
      if (h.site !== config.site) return;
      if (h.phase === "end") return void this.#holds.delete(h.lift);
      this.#holds.set(h.lift, { id: h.holdId, best: -1 });
      // the frames that confirmed the e-bike came before the hold started
      const trigger = (this.#recent.get(h.lift) ?? []).filter((d) => d.ebike).sort((a, b) => b.ebikeScore - a.ebikeScore)[0];
      if (trigger) this.#holdFrame(trigger);
    });
  }

  /** A member of staff marks the latest frame of a lift; undefined when the lift has sent none. */
  async mark(lift: string, now = Date.now()): Promise<CollectedFrame | undefined> {
    const picture = this.#latest.get(lift);
    if (!picture) return undefined;
    const judged = (this.#recent.get(lift) ?? []).find((d) => d.frameTs === picture.frameTs);
    const size = judged ? { width: judged.frameWidth, height: judged.frameHeight } : await sizeOf(picture.image);
    return this.#keep("marked", lift, picture, judged, now, undefined, size);
  }

  #onDetection(d: LiftDetection): void {
    const recent = this.#recent.get(d.lift) ?? [];
    recent.unshift(d);
    if (recent.length > RECENT) recent.pop();
    this.#recent.set(d.lift, recent);
    const hold = this.#holds.get(d.lift);
    if (hold && d.ebike) return this.#holdFrame(d);
    if (d.ebikeScore >= this.cfg.nearMissFloor && d.ebikeScore < d.threshold) return void this.#keepJudged("near_miss", d);
    if (d.ebikeScore < this.cfg.nearMissFloor && doorsOpen(this.#cars.get(d.lift)) && this.random() < this.cfg.negativeChance) {
      this.#keepJudged("negative", d);
    }
  }

  /** A hold keeps its first e-bike frame, then only frames that score higher, up to `holdFrames`. */
  #holdFrame(d: LiftDetection): void {
    const hold = this.#holds.get(d.lift);
    if (!hold || d.ebikeScore <= hold.best || this.store.countOfHold(hold.id) >= this.cfg.holdFrames) return;
    if (this.#keepJudged("hold", d, hold.id)) hold.best = d.ebikeScore;
  }

  #onShadow(shadow: LiftDetection): void {
    const active = (this.#recent.get(shadow.lift) ?? []).find((d) => d.frameTs === shadow.frameTs);
    if (!active || active.ebike === shadow.ebike) return;
    this.#keepJudged("disagreement", active);
  }

  #keepJudged(reason: FrameReason, d: LiftDetection, holdId?: string): CollectedFrame | undefined {
    const latest = this.#latest.get(d.lift);
    const picture = d.evidence ? { frameTs: d.frameTs, ...d.evidence } : latest?.frameTs === d.frameTs ? latest : undefined;
    if (!picture) {
      this.#skipped.inc({ reason, why: "no_picture" });
      return undefined;
    }
    return this.#keep(reason, d.lift, picture, d, Date.now(), holdId);
  }

  #keep(
    reason: FrameReason,
    lift: string,
    picture: Picture,
    judged: LiftDetection | undefined,
    now: number,
    holdId?: string,
    size = { width: judged?.frameWidth ?? 0, height: judged?.frameHeight ?? 0 },
  ): CollectedFrame | undefined {
    if (this.store.countSince(lift, reason, now) >= this.cfg.capsPerLiftPerDay[capKey[reason]]) {
      this.#skipped.inc({ reason, why: "cap" });
      return undefined;
    }
    try {
      const mime = picture.format === "jpeg" ? "image/jpeg" : "image/png";
      const evidence = this.core.evidence.put(picture.image, { source: "site-learning", subject: `learning:${lift}`, mime, now });
      const frame = this.store.add({
        lift,
        capturedAt: picture.frameTs,
        reason,
        evidenceId: evidence.id,
        sha256: evidence.sha256,
        ...size,
        model: judged?.model ?? "",
        threshold: judged?.threshold ?? 0,
        score: judged?.ebikeScore ?? 0,
        predictions: judged ? predictionsOf(judged) : [],
        ...(holdId ? { holdId } : {}),
        createdAt: now,
      });
      this.#kept.inc({ reason });
      return frame;
    } catch (err) {
      this.#skipped.inc({ reason, why: "failed" });
      this.core.log.warn({ err, lift, reason }, "could not keep a lift frame for labelling");
      return undefined;
    }
  }
}
