import type { Core } from "../core.ts";
import type { LiftLink, WriteResult } from "./controller/link.ts";
import type { HoldRecord } from "./events.ts";
import type { ActiveHold, EndReason } from "./guard.ts";
import type { LiftMetrics } from "./metrics.ts";
import { holdPoint, liftHoldLatency } from "./records.ts";

/**
 * Records every hold: a `lift_block` point and a `lift.hold` event at its start and end, the
 * latency point and histogram, the hold counters, and its best frame in the core's evidence store.
 */
export class HoldRecorder {
  /** the controller's answer to each hold's first lease write: the start record says whether it took, and how fast */
  readonly #firstWrite = new Map<string, WriteResult>();
  /** the frame the start record refers to, so the end record stores a new one only if a better frame came */
  readonly #startEvidence = new Map<string, { frameTs: number; evidence: HoldRecord["evidence"] }>();

  constructor(
    private readonly core: Core,
    private readonly metrics: LiftMetrics,
    private readonly link: LiftLink["kind"],
    private readonly keepEvidence: boolean,
  ) {}

  get site(): string {
    return this.core.config.site;
  }

  firstWrite(holdId: string, result: WriteResult): void {
    this.#firstWrite.set(holdId, result);
  }

  started(liftId: string, hold: ActiveHold): void {
    const write = this.#firstWrite.get(hold.id);
    this.#firstWrite.delete(hold.id);
    this.metrics.holds.inc({ lift: liftId });
    this.metrics.holding.set({ lift: liftId }, 1);
    let latencyMs: number | undefined;
    if (write?.ok && hold.trigger === "frame") {
      latencyMs = Math.max(0, write.at - hold.triggerFrameTs);
      this.metrics.latency.observe({ lift: liftId }, latencyMs / 1000);
      this.core.writePoint({ measurement: liftHoldLatency.name, tags: { site: this.site, lift: liftId, link: this.link }, fields: { latency_ms: latencyMs }, ts: write.at });
    }
    const evidence = this.#keep(hold.id, hold);
    this.#startEvidence.set(hold.id, { frameTs: hold.best.frameTs, evidence });
    const record: HoldRecord = {
      site: this.site,
      lift: liftId,
      holdId: hold.id,
      phase: "start",
      ts: hold.startedAt,
      startedAt: hold.startedAt,
      reason: "ebike",
      peakScore: hold.best.score,
      written: write?.ok ?? false,
      ...(latencyMs === undefined ? {} : { latencyMs }),
      ...(evidence ? { evidence } : {}),
    };
    this.core.log.info({ lift: liftId, holdId: hold.id, peakScore: hold.best.score, latencyMs, written: record.written }, "lift hold started");
    this.#emit(record);
  }

  ended(liftId: string, hold: ActiveHold, reason: EndReason, endedAt: number, detail: string): void {
    this.metrics.ends.inc({ lift: liftId, reason });
    this.metrics.holding.set({ lift: liftId }, 0);
    const start = this.#startEvidence.get(hold.id);
    this.#startEvidence.delete(hold.id);
    const evidence = start && start.frameTs === hold.best.frameTs ? start.evidence : this.#keep(`${hold.id}-peak`, hold);
    const record: HoldRecord = {
      site: this.site,
      lift: liftId,
      holdId: hold.id,
      phase: "end",
      ts: endedAt,
      startedAt: hold.startedAt,
      reason: "ebike",
      peakScore: hold.best.score,
      endReason: reason,
      durationMs: endedAt - hold.startedAt,
      detail,
      ...(evidence ? { evidence } : {}),
    };
    this.core.log.info({ lift: liftId, holdId: hold.id, endReason: reason, durationMs: record.durationMs, detail }, "lift hold ended");
    this.#emit(record);
  }

  #emit(record: HoldRecord): void {
    this.core.writePoint(holdPoint(record));
    this.core.bus.emit("lift.hold", record);
  }

  /** The hold's best frame into the evidence store; a failure to keep it never stops the record. */
  #keep(subject: string, hold: ActiveHold): HoldRecord["evidence"] {
    const image = hold.best.image;
    if (!image || !this.keepEvidence) return undefined;
    try {
      const { id, sha256 } = this.core.evidence.put(image.data, { source: "lift-guard", subject, mime: image.format === "jpeg" ? "image/jpeg" : "image/png" });
      return { id, sha256 };
    } catch (err) {
      this.core.log.warn({ err, subject }, "could not keep lift evidence");
      return undefined;
    }
  }
}
