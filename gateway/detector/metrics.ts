import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const SECONDS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/** The detector's Prometheus metrics, registered on the gateway's registry and removed again on stop. */
export function detectorMetrics(registry: Registry, queued: () => number) {
  const registers = [registry];
  const metrics = {
    judged: new Counter({ name: "linli_detector_judged_total", help: "Lift frames the detector judged", registers }),
    dropped: new Counter({ name: "linli_detector_dropped_total", help: "Lift frames dropped unjudged: stale (a newer frame of the lift came) or queue_full", labelNames: ["reason"], registers }),
    rejected: new Counter({ name: "linli_detector_rejected_total", help: "Lift frames that could not be read: empty, not_image, too_large, corrupt", labelNames: ["reason"], registers }),
    faults: new Counter({ name: "linli_detector_faults_total", help: "Lift frames not judged because of the detector: model unavailable or inference failed", labelNames: ["reason"], registers }),
    up: new Gauge({ name: "linli_detector_up", help: "1 when the model is loaded and frames are being judged", registers }),
    queued: new Gauge({ name: "linli_detector_queued", help: "Lifts waiting with a frame", registers, collect() { this.set(queued()); } }),
    inference: new Histogram({ name: "linli_detector_inference_seconds", help: "session.run per frame", buckets: SECONDS, registers }),
    total: new Histogram({ name: "linli_detector_total_seconds", help: "Frame bytes to detections, per frame", buckets: SECONDS, registers }),
    latency: new Histogram({ name: "linli_detector_latency_seconds", help: "Frame received to verdict, queue wait included", buckets: SECONDS, registers }),
    // the counters above are the active model's, the path the lift guard acts on; a shadow's are apart
    model: new Gauge({ name: "linli_detector_model", help: "1 for the model judging in each role: active (the guard acts on it) or shadow (compared, holds nothing)", labelNames: ["role", "model"], registers }),
    shadowJudged: new Counter({ name: "linli_detector_shadow_judged_total", help: "Lift frames the shadow model judged after the active one", labelNames: ["model"], registers }),
    skipped: new Counter({ name: "linli_detector_skipped_total", help: "Lift frames not judged because the car could not be held then (door-aware judging), by reason", labelNames: ["reason"], registers }),
    shadowDropped: new Counter({ name: "linli_detector_shadow_dropped_total", help: "Lift frames the shadow model skipped, so as never to fall behind: stale or queue_full", labelNames: ["model", "reason"], registers }),
    shadowFaults: new Counter({ name: "linli_detector_shadow_faults_total", help: "Lift frames the shadow model failed on: inference_failed, or a frame it could not read", labelNames: ["model", "reason"], registers }),
  };
  const names = ["judged_total", "dropped_total", "rejected_total", "faults_total", "up", "queued", "inference_seconds", "total_seconds", "latency_seconds", "model", "skipped_total", "shadow_judged_total", "shadow_dropped_total", "shadow_faults_total"].map((n) => `linli_detector_${n}`);
  return {
    ...metrics,
    remove(): void {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

export type DetectorMetrics = ReturnType<typeof detectorMetrics>;
