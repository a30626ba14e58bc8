import { describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { RecentKeys } from "../gateway/ingest/dedup.ts";
import { IngestPipeline } from "../gateway/ingest/pipeline.ts";
import { GatewayMetrics } from "../gateway/metrics.ts";
import { mask } from "../gateway/privacy.ts";

const NOW = 1_764_300_000_000;
const gateEvent = { ts: NOW, eventId: "g1-000123", method: "plate", direction: "in", granted: true, plate: "沪A12345", confidence: 0.97 };
const topic = "linli/demo/gate/g1/event";
const payload = Buffer.from(JSON.stringify(gateEvent));

describe("one duplicate memory for the MQTT and the push pipelines", () => {
  const pipelines = (recent: RecentKeys) => {
    const options = { site: "demo", maxClockSkewMs: 300_000, dedupWindow: 1_000, maxBytes: {}, pointContext: { protectId: mask }, counters: new GatewayMetrics("demo"), recent, now: () => NOW };
    return [new IngestPipeline(deviceKinds, options), new IngestPipeline(deviceKinds, options)] as const;
  };

  it("refuses on one path what the other took, and says which key it remembered", () => {
    const [mqtt, push] = pipelines(new RecentKeys(1_000));
    const first = push.accept({ topic, payload });
    expect(first).toMatchObject({ status: "accepted", dedupKey: "gate/g1/g1-000123" });
    expect(mqtt.accept({ topic, payload })).toMatchObject({ status: "rejected", reason: "duplicate" });
  });

  it("takes the resend of a message whose key was forgotten (its commit failed), on either path", () => {
    const [mqtt, push] = pipelines(new RecentKeys(1_000));
    const first = mqtt.accept({ topic, payload });
    if (first.status !== "accepted" || !first.dedupKey) throw new Error("not accepted");
    mqtt.forget(first.dedupKey);
    expect(push.accept({ topic, payload }).status).toBe("accepted");
    expect(mqtt.accept({ topic, payload }).status).toBe("rejected");
  });

  it("has no dedupKey for a channel without event ids", () => {
    const [mqtt] = pipelines(new RecentKeys(1_000));
    const o = mqtt.accept({ topic: "linli/demo/gate/g1/status", payload: Buffer.from(JSON.stringify({ ts: NOW, uptimeS: 5 })) });
    expect(o.status).toBe("accepted");
    expect(o).not.toHaveProperty("dedupKey");
  });
});
