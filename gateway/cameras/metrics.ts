import { Counter, type Registry } from "prom-client";

/** The RTSP cameras' Prometheus metrics, registered on the gateway's registry and removed again on stop. */
export function cameraMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    frames: new Counter({ name: "linli_camera_frames_total", help: "Frames read from RTSP lift cameras: forwarded to the detector, skipped by the rate for the car's state, or dropped as unreadable", labelNames: ["lift", "outcome"], registers }),
    faults: new Counter({ name: "linli_camera_faults_total", help: "RTSP camera faults, each followed by a restart of ffmpeg: stalled, exited, spawn_failed", labelNames: ["lift", "reason"], registers }),
  };
  const names = ["frames_total", "faults_total"].map((n) => `linli_camera_${n}`);
  return {
    ...metrics,
    remove(): void {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

export type CameraMetrics = ReturnType<typeof cameraMetrics>;
