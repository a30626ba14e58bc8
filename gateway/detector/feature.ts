import { lift, type LiftFrame } from "../../devices/lift.ts";
import { isChannel, type DeviceEvent } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { registerDetectorCommands } from "./cli.ts";
import { detectorConfigSchema, type DetectorConfig } from "./config.ts";
import type { Detector } from "./detector.ts";
import type { DetectorFault, DetectorFaultReason } from "./events.ts";
import { detectorMeasurements, liftFrame } from "./measurements.ts";
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

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Judges lift camera frames for e-bikes. Frames are taken off the bus as they arrive and handed to a
 * latest-wins scheduler, so the ingest path never waits on sharp or onnxruntime. The model is made
 * ready in the background (verified, fetched on first use, loaded, test-run); until then, and for
 * good if that fails, every frame gets a `lift.detector.fault` instead of a verdict, and start()
 * itself never throws, so the rest of the gateway runs on.
 */
export class DetectorFeature implements Feature {
  readonly name = "detector";
  #detector: Detector | undefined;
  #notReady: NotReady = { reason: "model_missing", detail: "detector not started" };
  #scheduler: LatestWinsScheduler<Frame> | undefined;
  #metrics: DetectorMetrics | undefined;
  #loading: Promise<void> = Promise.resolve();
  /** bumped by start() and stop(), so a model load that outlives its start() is let go */
  #generation = 0;

  constructor(
    private readonly core: Core,
    private readonly config: DetectorConfig,
  ) {}

  async start(): Promise<void> {
    const generation = ++this.#generation;
    const scheduler = new LatestWinsScheduler<Frame>({
      concurrency: this.config.concurrency,
      maxQueued: this.config.maxQueuedLifts,
      run: (_key, frame, dropped) => this.#judge(frame, dropped),
      onDrop: (_key, _frame, reason) => this.#metrics?.dropped.inc({ reason }),
    });
    this.#scheduler = scheduler;
    this.#metrics = detectorMetrics(this.core.metrics, () => scheduler.queued);
    this.#metrics.up.set(0);
    this.#notReady = { reason: "model_loading", detail: `model ${this.config.model} is loading` };
    this.core.bus.on("device.event", (event) => {
      if (isChannel(event, lift, "frame")) this.#onFrame(event);
    });
    this.#loading = this.#load(generation);
  }

  /** Resolves once the model is loaded or has failed to load (tests and the CLI wait on it). */
  ready(): Promise<void> {
    return this.#loading;
  }

  async stop(): Promise<void> {
    this.#generation++;
    await this.#scheduler?.stop();
    await this.#detector?.close();
    this.#detector = undefined;
    this.#metrics?.remove();
    this.#metrics = undefined;
  }

  async #load(generation: number): Promise<void> {
    try {
      const detector = await openDetector(this.config);
      // stop() does not wait for a download that may take minutes; a model that arrives late is let go
      if (generation !== this.#generation) return void (await detector.close());
      this.#detector = detector;
      this.#metrics?.up.set(1);
      this.core.log.info({ model: this.#detector.manifest.id, family: this.#detector.manifest.family, threshold: this.#detector.threshold }, "detector ready");
    } catch (err) {
      if (generation !== this.#generation) return;
      const reason = err instanceof ModelUnavailable ? err.problem : "model_invalid";
      this.#notReady = { reason, detail: message(err) };
      this.core.log.error({ model: this.config.model, reason, err: message(err) }, "detector cannot start: lift frames will not be judged");
      this.#fault({ scope: "detector", reason, detail: message(err) });
    }
  }

  #onFrame(frame: Frame): void {
    if (!this.#detector) {
      // not judged: say so for every frame, so a consumer that started late still knows
      this.#metrics?.faults.inc({ reason: this.#notReady.reason });
      this.#fault({ scope: "detector", ...this.#notReady, ...frameRef(frame) });
      return;
    }
    this.#scheduler?.submit(`${frame.site}/${frame.deviceId}`, frame);
  }

  async #judge(frame: Frame, dropped: number): Promise<void> {
    const detector = this.#detector;
    const metrics = this.#metrics;
    if (!detector || !metrics) return;
    try {
      const result = await detector.detect(frame.data.image);
      const ts = Date.now();
      metrics.judged.inc();
      metrics.inference.observe(result.inferenceMs / 1000);
      metrics.total.observe(result.totalMs / 1000);
      metrics.latency.observe(Math.max(0, ts - frame.receivedAt) / 1000);
      this.core.writePoint({
        measurement: liftFrame.name,
        tags: { site: frame.site, lift: frame.deviceId, model: detector.manifest.id },
        fields: {
          inference_ms: result.inferenceMs,
          total_ms: result.totalMs,
          ebike_score: result.ebikeScore,
          ebike: result.ebike,
          detections: result.detections.length,
          dropped,
        },
        ts: frame.ts,
      });
      this.core.bus.emit("lift.detection", {
        site: frame.site,
        lift: frame.deviceId,
        ts,
        frameTs: frame.ts,
        ...(frame.data.seq === undefined ? {} : { seq: frame.data.seq }),
        model: detector.manifest.id,
        ebike: result.ebike,
        ebikeScore: result.ebikeScore,
        threshold: result.threshold,
        detections: result.detections,
        frameWidth: result.frameWidth,
        frameHeight: result.frameHeight,
        inferenceMs: result.inferenceMs,
        totalMs: result.totalMs,
        dropped,
        // Any frame with an e-bike candidate carries its bytes (a reference, not a copy): the lift
        // guard may hold on a lower threshold than the detector's and keeps the best frame itself.
        ...(result.ebikeScore > 0 && this.config.evidence ? { evidence: { image: frame.data.image, format: frame.data.format } } : {}),
      });
    } catch (err) {
      if (err instanceof FrameRejected) {
        metrics.rejected.inc({ reason: err.reason });
        this.core.log.debug({ site: frame.site, lift: frame.deviceId, reason: err.reason, detail: err.message }, "lift frame rejected");
        this.#fault({ scope: "frame", reason: err.reason, detail: err.message, ...frameRef(frame) });
      } else {
        metrics.faults.inc({ reason: "inference_failed" });
        this.core.log.warn({ site: frame.site, lift: frame.deviceId, err: message(err) }, "detector failed on a lift frame");
        this.#fault({ scope: "frame", reason: "inference_failed", detail: message(err), ...frameRef(frame) });
      }
    }
  }

  #fault(fault: Omit<DetectorFault, "ts" | "model">): void {
    this.core.bus.emit("lift.detector.fault", { ts: Date.now(), model: this.config.model, ...fault });
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
