import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const SECONDS = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];

/** The lift guard's Prometheus metrics, registered on the gateway's registry and removed again on stop. */
export function liftMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    latency: new Histogram({ name: "linli_lift_hold_latency_seconds", help: "Lift frame publish to hold acknowledged by the controller", labelNames: ["lift"], buckets: SECONDS, registers }),
    holds: new Counter({ name: "linli_lift_holds_total", help: "Holds started by the lift guard", labelNames: ["lift"], registers }),
    ends: new Counter({ name: "linli_lift_hold_ends_total", help: "Holds ended, by end reason", labelNames: ["lift", "reason"], registers }),
    holding: new Gauge({ name: "linli_lift_holding", help: "1 while the guard holds the lift", labelNames: ["lift"], registers }),
    writeFailures: new Counter({ name: "linli_lift_write_failures_total", help: "Writes to the lift controller that failed", labelNames: ["lift", "what"], registers }),
    faults: new Counter({ name: "linli_lift_faults_total", help: "Guard faults (detector faults, stale frames)", labelNames: ["lift", "reason"], registers }),
  };
  const names = ["hold_latency_seconds", "holds_total", "hold_ends_total", "holding", "write_failures_total", "faults_total"].map((n) => `linli_lift_${n}`);
  return {
    ...metrics,
    remove(): void {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

export type LiftMetrics = ReturnType<typeof liftMetrics>;
