import { describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { waterSensor } from "../docs/examples/water-sensor.ts";
import { floodFeature } from "../docs/examples/flood-watch.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { IngestPipeline } from "../gateway/ingest/pipeline.ts";
import { GatewayMetrics } from "../gateway/metrics.ts";
import { testCore } from "./core.ts";

const NOW = 1_764_300_000_000;

describe("docs/architecture.md's worked examples", () => {
  it("a new device kind is one module and one list entry: its messages become events and typed points", () => {
    const counters = new GatewayMetrics("demo");
    const pipeline = new IngestPipeline([...deviceKinds, waterSensor], { site: "demo", maxClockSkewMs: 300_000, dedupWindow: 100, maxBytes: {}, pointContext: { protectId: (v) => v }, counters, now: () => NOW });
    const accepted = pipeline.accept({ topic: "linli/demo/water/water-1/level", payload: Buffer.from(JSON.stringify({ ts: NOW, depthCm: 12.5, pumpOn: true })) });
    expect(accepted).toMatchObject({ status: "accepted", event: { kind: "water", deviceId: "water-1" }, points: [{ measurement: "water_level", tags: { site: "demo", sensor: "water-1" }, fields: { depth_cm: 12.5, pump_on: true }, ts: NOW }] });
    const refused = pipeline.accept({ topic: "linli/demo/water/water-1/level", payload: Buffer.from(JSON.stringify({ depthCm: -3, pumpOn: false })) });
    expect(refused).toMatchObject({ status: "rejected", reason: "schema" });
    expect(counters.totals).toMatchObject({ messagesIn: 1, rejected: 1 });
  });

  it("a new feature is one folder and one list entry: its config section, its listener, removed when it stops", async () => {
    const core = await testCore();
    try {
      const host = await FeatureHost.start(floodFeature, core, floodFeature.config.parse({ thresholdCm: 10 }));
      const level = (depthCm: number) => core.bus.emit("device.event", { site: "demo", kind: "water", deviceId: "water-1", channel: "level", ts: NOW, receivedAt: NOW, data: { depthCm, pumpOn: false } });
      level(4);
      level(12);
      expect(core.points).toEqual([{ measurement: "flood_alarm", tags: { site: "demo", sensor: "water-1" }, fields: { depth_cm: 12 }, ts: NOW }]);
      await host.stop();
      level(30);
      expect(core.points).toHaveLength(1);
    } finally {
      await core.cleanup();
    }
  });
});
