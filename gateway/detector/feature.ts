import { unwatchFile, watchFile, type Stats } from "node:fs";
import { lift, type LiftFrame } from "../../devices/lift.ts";
import { isChannel, type DeviceEvent } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { activeModelFile, modelsOf, readActiveModel } from "./active-model.ts";
import { registerDetectorCommands } from "./cli.ts";
import { detectorConfigSchema, type DetectorConfig } from "./config.ts";
import type { DetectResult } from "./detector.ts";
import type { DetectorFault, DetectorFaultReason, LiftDetection } from "./events.ts";
import { DoorAwareGate, SkipTally } from "./door-gate.ts";
import { DetectorLease } from "./lease.ts";
import { detectorMeasurements, liftFramePoint, liftFrameSkipPoint } from "./measurements.ts";
import { detectorMetrics, type DetectorMetrics } from "./metrics.ts";
import { FrameRejected } from "./reject.ts";
import { LatestWinsScheduler } from "./scheduler.ts";
import { openDetector } from "./open.ts";
import { ModelUnavailable } from "./store.ts";

type Frame = DeviceEvent<LiftFrame>;

/** Why no frame can be judged now: the model is still loading, or could not be loaded. */
interface NotReady {
  reason: DetectorFaultReason;
  detail: string;
}

/** How often the skipped frames are written: one point per lift and reason instead of one per frame. */
const SKIP_FLUSH_MS = 10_000;

/** How often active.json is looked at: a promotion is live within this, and a stat costs nothing. */
const WATCH_INTERVAL_MS = 500;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const liftKey = (frame: Frame) => `${frame.site}/${frame.deviceId}`;

/**
 * Judges lift camera frames for e-bikes. Frames are taken off the bus as they arrive and handed to a
 * latest-wins scheduler, so the ingest path never waits on sharp or onnxruntime. The model is made
 * ready in the background (verified, fetched on first use, loaded, test-run); until then, and for
 * good if that fails, every frame gets a `lift.detector.fault` instead of a verdict, and start()
 * itself never throws, so the rest of the gateway runs on.
 *
 * The model is the one `<modelsDir>/active.json` names (else `detector.model`), and the file is
 * watched: another model is loaded beside the running one and takes over only once it has passed
 * its test run, so promotion and rollback need no restart and no frame goes unjudged meanwhile. A
 * shadow model, when named, judges the same frames after the active one on its own queue.
 */
export class DetectorFeature implements Feature {
  readonly name = "detector";
  #active: DetectorLease | undefined;
  #shadow: DetectorLease | undefined;
  /** the active model's id, or while none judges, the one being loaded or that failed to */
  #model: string;
  #notReady: NotReady = { reason: "model_missing", detail: "detector not started" };
  #scheduler: LatestWinsScheduler<Frame> | undefined;
  #shadowScheduler: LatestWinsScheduler<Frame> | undefined;
  #metrics: DetectorMetrics | undefined;
  #loading: Promise<void> = Promise.resolve();
  /** model changes, one after another: a write during a load is taken up when the load is done */
  #changes: Promise<void> = Promise.resolve();
  /** replaced models whose last frames are still being judged */
  readonly #retiring = new Set<Promise<void>>();
  #unwatch: (() => void) | undefined;
  #gate: DoorAwareGate | undefined;
  readonly #skips = new SkipTally();
  #skipFlush: NodeJS.Timeout | undefined;
  /** bumped by start() and stop(), so a model load that outlives its start() is let go */
  #generation = 0;

  constructor(
    private readonly core: Core,
    private readonly config: DetectorConfig,
  ) {
    this.#model = config.model;
  }

  async start(): Promise<void> {
    const generation = ++this.#generation;
    const scheduler = new LatestWinsScheduler<Frame>({
      concurrency: this.config.concurrency,
      maxQueued: this.config.maxQueuedLifts,
      run: (_key, frame, dropped) => this.#judge(frame, dropped),
      onDrop: (_key, _frame, reason) => this.#metrics?.dropped.inc({ reason }),
      // a car that could be held is judged before lifts that only wait for the low rate
      urgent: (key) => this.#gate?.holdable(key.slice(key.indexOf("/") + 1)) ?? false,
    });
    this.#scheduler = scheduler;
    // one session: the shadow takes what CPU is left and skips frames rather than queue behind
    this.#shadowScheduler = new LatestWinsScheduler<Frame>({
      concurrency: 1,
      maxQueued: this.config.maxQueuedLifts,
      run: (_key, frame, dropped) => this.#judgeShadow(frame, dropped),
      onDrop: (_key, _frame, reason) => this.#shadow && this.#metrics?.shadowDropped.inc({ model: this.#shadow.model, reason }),
    });
    this.#metrics = detectorMetrics(this.core.metrics, () => scheduler.queued);
    this.#metrics.up.set(0);
    const gate = (this.#gate = new DoorAwareGate(this.config.idleJudgeMs));
    this.core.bus.on("lift.car", (c) => {
      if (c.site === this.core.config.site) gate.car(c.lift, c.state);
    });
    this.core.bus.on("device.event", (event) => {
      if (isChannel(event, lift, "frame")) this.#onFrame(event);
    });
    this.#skipFlush = setInterval(() => this.#flushSkips(), SKIP_FLUSH_MS);
    this.#skipFlush.unref();
    // watchFile polls the path, so the rename of an atomic write (a new inode) is seen, and so are
    // the file's first appearance and its removal; fs.watch follows an inode and misses renames
    const file = activeModelFile(this.config.modelsDir);
    const onChange = (now: Stats, before: Stats) => {
      // a missing file is reported once, unchanged, when watching begins
      if (now.ino === before.ino && now.mtimeMs === before.mtimeMs) return;
      this.#changes = this.#changes.then(() => (generation === this.#generation ? this.#apply(generation, false) : undefined));
    };
    watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, onChange);
    this.#unwatch = () => unwatchFile(file, onChange);
    this.#loading = this.#changes = this.#apply(generation, true);
  }

  /** Resolves once the model is loaded or has failed to load (tests and the CLI wait on it). */
  ready(): Promise<void> {
    return this.#loading;
  }

  /** The model judging live frames now, if any. */
  activeModel(): string | undefined {
    return this.#active?.model;
  }

  async stop(): Promise<void> {
    this.#generation++;
    this.#unwatch?.();
    clearInterval(this.#skipFlush);
    this.#flushSkips();
    await Promise.all([this.#scheduler?.stop(), this.#shadowScheduler?.stop()]);
    const leases = [this.#active, this.#shadow];
    this.#active = this.#shadow = undefined;
    await Promise.all([...leases.map((l) => l?.retire()), ...this.#retiring]);
    this.#metrics?.remove();
    this.#metrics = undefined;
  }

  /** Brings the running models in line with active.json (or the config, without one). Never throws. */
  async #apply(generation: number, atStart: boolean): Promise<void> {
    let wanted: { model: string; shadow: string | undefined };
    try {
      wanted = modelsOf(await readActiveModel(this.config.modelsDir), this.config);
    } catch (err) {
      if (generation !== this.#generation) return;
      // at start nothing judges yet: the configured model is better than none
      const judging = this.#active?.model ?? this.config.model;
      this.core.log.error({ err: message(err), model: judging }, "active model record unreadable: the detector keeps its model");
      this.core.bus.emit("detector.model", { ts: Date.now(), from: judging, to: judging, ok: false, detail: `${message(err)}; ${judging} judges on` });
      if (!atStart) return;
      wanted = { model: this.config.model, shadow: this.config.shadow };
    }
    if (atStart && this.config.shadow !== undefined && wanted.shadow !== this.config.shadow) {
      this.core.log.warn({ configured: this.config.shadow, shadow: wanted.shadow ?? null }, "detector.shadow is not used: active.json decides the shadow once it exists (linli models shadow)");
    }
    await this.#setActive(generation, wanted.model, atStart);
    if (generation !== this.#generation) return;
    // the active model beside itself would only double the work
    await this.#setShadow(generation, wanted.shadow === this.#active?.model ? undefined : wanted.shadow);
  }

  async #setActive(generation: number, model: string, atStart: boolean): Promise<void> {
    if (this.#active?.model === model) return;
    const from = this.#active?.model ?? this.#model;
    if (!this.#active) {
      this.#model = model;
      this.#notReady = { reason: "model_loading", detail: `model ${model} is loading` };
    }
    const started = Date.now();
    try {
      const detector = await openDetector({ ...this.config, model });
      // stop() does not wait for a download that may take minutes; a model that arrives late is let go
      if (generation !== this.#generation) return void (await detector.close());
      const old = this.#active;
      this.#active = new DetectorLease(model, detector);
      this.#model = model;
      if (old) this.#retire(old);
      this.#metrics?.up.set(1);
      if (old) this.#metrics?.model.remove({ role: "active", model: old.model });
      this.#metrics?.model.set({ role: "active", model }, 1);
      this.core.log.info({ model, from: old?.model, family: detector.manifest.family, threshold: detector.threshold }, old ? "detector switched model" : "detector ready");
      if (!atStart) this.core.bus.emit("detector.model", { ts: Date.now(), from, to: model, ok: true, detail: `${model} loaded and test-run in ${Date.now() - started} ms; it judges every new frame` });
    } catch (err) {
      if (generation !== this.#generation) return;
      if (this.#active) {
        this.core.log.error({ model, err: message(err), judging: this.#active.model }, "new detector model did not load: the old one judges on");
        this.core.bus.emit("detector.model", { ts: Date.now(), from, to: model, ok: false, detail: `${message(err)}; ${this.#active.model} judges on` });
        return;
      }
      const reason = err instanceof ModelUnavailable ? err.problem : "model_invalid";
      this.#notReady = { reason, detail: message(err) };
      this.core.log.error({ model, reason, err: message(err) }, "detector cannot start: lift frames will not be judged");
      if (!atStart) this.core.bus.emit("detector.model", { ts: Date.now(), from, to: model, ok: false, detail: `${message(err)}; no model judges` });
      this.#fault({ scope: "detector", reason, detail: message(err) }, model);
    }
  }

  async #setShadow(generation: number, model: string | undefined): Promise<void> {
    const old = this.#shadow;
    if (old?.model === model) return;
    const change = { from: old?.model ?? null, to: model ?? null };
    if (model === undefined) {
      this.#dropShadow();
      this.core.log.info({ shadow: old?.model }, "shadow model stopped");
      this.core.bus.emit("detector.shadow", { ts: Date.now(), ...change, ok: true, detail: `shadow ${old?.model} stopped` });
      return;
    }
    try {
      const detector = await openDetector({ ...this.config, model, concurrency: 1 });
      if (generation !== this.#generation) return void (await detector.close());
      this.#dropShadow();
      this.#shadow = new DetectorLease(model, detector);
      this.#metrics?.model.set({ role: "shadow", model }, 1);
      this.core.log.info({ shadow: model, active: this.#active?.model }, "shadow model judges beside the active one");
      this.core.bus.emit("detector.shadow", { ts: Date.now(), ...change, ok: true, detail: `${model} judges live frames beside ${this.#active?.model ?? "no active model"}, holding nothing` });
    } catch (err) {
      if (generation !== this.#generation) return;
      // the record no longer asks for the old shadow: figures under its name would mislead
      this.#dropShadow();
      this.core.log.error({ shadow: model, err: message(err) }, "shadow model did not load: no shadow runs");
      this.core.bus.emit("detector.shadow", { ts: Date.now(), ...change, ok: false, detail: `${message(err)}; no shadow runs` });
    }
  }

  #dropShadow(): void {
    const old = this.#shadow;
    if (!old) return;
    this.#shadow = undefined;
    this.#metrics?.model.remove({ role: "shadow", model: old.model });
    this.#retire(old);
  }

  #retire(lease: DetectorLease): void {
    const closing: Promise<void> = lease
      .retire()
      .catch((err: unknown) => this.core.log.warn({ model: lease.model, err: message(err) }, "replaced detector model did not close cleanly"))
      .finally(() => this.#retiring.delete(closing));
    this.#retiring.add(closing);
  }

  #onFrame(frame: Frame): void {
    if (!this.#active) {
      // not judged: say so for every frame, so a consumer that started late still knows
      this.#metrics?.faults.inc({ reason: this.#notReady.reason });
      this.#fault({ scope: "detector", ...this.#notReady, ...frameRef(frame) }, this.#model);
      return;
    }
    const skip = frame.site === this.core.config.site ? this.#gate?.admit(frame.deviceId, Date.now()) : undefined;
    if (skip) {
      this.#metrics?.skipped.inc({ reason: skip });
      this.#skips.add(frame.deviceId, skip);
      return;
    }
    this.#scheduler?.submit(liftKey(frame), frame);
  }

  #flushSkips(): void {
    const ts = Date.now();
    for (const { lift: liftId, reason, count } of this.#skips.take()) {
      this.core.writePoint(liftFrameSkipPoint({ site: this.core.config.site, lift: liftId, reason, count, ts }));
    }
  }

  async #judge(frame: Frame, dropped: number): Promise<void> {
    // taken before the first await: a swap from here on lets this frame finish on this model
    const lease = this.#active;
    const metrics = this.#metrics;
    if (!lease || !metrics) return;
    const startedAt = Date.now();
    try {
      const result = await lease.use((detector) => detector.detect(frame.data.image));
      const verdict = this.#verdict(frame, lease, result, dropped, startedAt);
      metrics.judged.inc();
      metrics.inference.observe(result.inferenceMs / 1000);
      metrics.total.observe(result.totalMs / 1000);
      metrics.latency.observe(Math.max(0, verdict.ts - frame.receivedAt) / 1000);
      this.core.writePoint(this.#point(frame, verdict, "active"));
      this.core.bus.emit("lift.detection", {
        ...verdict,
        // Any frame with an e-bike candidate carries its bytes (a reference, not a copy): the lift
        // guard may hold on a lower threshold than the detector's and keeps the best frame itself.
        ...(result.ebikeScore > 0 && this.config.evidence ? { evidence: { image: frame.data.image, format: frame.data.format } } : {}),
      });
      if (this.#shadow) this.#shadowScheduler?.submit(liftKey(frame), frame);
    } catch (err) {
      if (err instanceof FrameRejected) {
        metrics.rejected.inc({ reason: err.reason });
        this.core.log.debug({ site: frame.site, lift: frame.deviceId, reason: err.reason, detail: err.message }, "lift frame rejected");
        this.#fault({ scope: "frame", reason: err.reason, detail: err.message, ...frameRef(frame) }, lease.model);
      } else {
        metrics.faults.inc({ reason: "inference_failed" });
        this.core.log.warn({ site: frame.site, lift: frame.deviceId, err: message(err) }, "detector failed on a lift frame");
        this.#fault({ scope: "frame", reason: "inference_failed", detail: message(err), ...frameRef(frame) }, lease.model);
      }
    }
  }

  /** The shadow's verdict is only recorded: its faults are counted and logged, never sent to the guard. */
  async #judgeShadow(frame: Frame, dropped: number): Promise<void> {
    const lease = this.#shadow;
    const metrics = this.#metrics;
    if (!lease || !metrics) return;
    const startedAt = Date.now();
    try {
      const result = await lease.use((detector) => detector.detect(frame.data.image));
      const verdict = this.#verdict(frame, lease, result, dropped, startedAt);
      metrics.shadowJudged.inc({ model: lease.model });
      this.core.writePoint(this.#point(frame, verdict, "shadow"));
      this.core.bus.emit("lift.detection.shadow", { ...verdict, evidence: { image: frame.data.image, format: frame.data.format } });
    } catch (err) {
      const reason = err instanceof FrameRejected ? err.reason : "inference_failed";
      metrics.shadowFaults.inc({ model: lease.model, reason });
      this.core.log.debug({ site: frame.site, lift: frame.deviceId, shadow: lease.model, reason, err: message(err) }, "shadow model failed on a lift frame");
    }
  }

  #verdict(frame: Frame, lease: DetectorLease, result: DetectResult, dropped: number, startedAt: number): Omit<LiftDetection, "evidence"> {
    return {
      site: frame.site,
      lift: frame.deviceId,
      ts: Date.now(),
      frameTs: frame.ts,
      ...(frame.data.seq === undefined ? {} : { seq: frame.data.seq }),
      model: lease.detector.manifest.id,
      ebike: result.ebike,
      ebikeScore: result.ebikeScore,
      threshold: result.threshold,
      detections: result.detections,
      frameWidth: result.frameWidth,
      frameHeight: result.frameHeight,
      waitMs: Math.max(0, startedAt - frame.receivedAt),
      preprocessMs: result.preprocessMs,
      inferenceMs: result.inferenceMs,
      totalMs: result.totalMs,
      dropped,
    };
  }

  #point(frame: Frame, verdict: Omit<LiftDetection, "evidence">, role: "active" | "shadow") {
    return liftFramePoint({ ...verdict, role, detections: verdict.detections.length, ts: frame.ts });
  }

  #fault(fault: Omit<DetectorFault, "ts" | "model">, model: string): void {
    this.core.bus.emit("lift.detector.fault", { ts: Date.now(), model, ...fault });
  }
}

function frameRef(frame: Frame): { site: string; lift: string; seq?: number } {
  return { site: frame.site, lift: frame.deviceId, ...(frame.data.seq === undefined ? {} : { seq: frame.data.seq }) };
}

export const detectorFeature = defineFeature({
  key: "detector",
  description: "the ONNX e-bike detector on lift frames (gateway/detector, models/)",
  config: detectorConfigSchema,
  measurements: detectorMeasurements,
  commands: registerDetectorCommands,
  create: (core, config) => new DetectorFeature(core, config),
});
