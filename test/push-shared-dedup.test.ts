import { describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { IngestPipeline } from "../gateway/ingest/pipeline.ts";
import { GatewayMetrics } from "../gateway/metrics.ts";
import { mask } from "../gateway/privacy.ts";

const NOW = 1_764_300_000_000;
const gateEvent = { ts: NOW, eventId: "g1-000123", method: "plate", direction: "in", granted: true, plate: "沪A12345", confidence: 0.97 };
const topic = "linli/demo/gate/g1/event";
const payload = Buffer.from(JSON.stringify(gateEvent));

/** The pipeline the gateway builds once and hands to the MQTT router and every push path. */
const pipeline = () => new IngestPipeline(deviceKinds, { site: "demo", maxClockSkewMs: 300_000, dedupWindow: 1_000, maxBytes: {}, pointContext: { protectId: mask }, counters: new GatewayMetrics("demo"), now: () => NOW });

describe("the duplicate memory of the gateway's one ingest pipeline", () => {
  it("refuses a repeat and says which key it remembered", () => {
    const p = pipeline();
    expect(p.accept({ topic, payload })).toMatchObject({ status: "accepted", dedupKey: "gate/g1/g1-000123" });
    expect(p.accept({ topic, payload })).toMatchObject({ status: "rejected", reason: "duplicate" });
  });

  it("takes the resend of a message whose key was forgotten (its commit failed), once", () => {
    const p = pipeline();
    const first = p.accept({ topic, payload });
    if (first.status !== "accepted" || !first.dedupKey) throw new Error("not accepted");
    p.forget(first.dedupKey);
    expect(p.accept({ topic, payload }).status).toBe("accepted");
    expect(p.accept({ topic, payload }).status).toBe("rejected");
  });

  it("has no dedupKey for a channel without event ids", () => {
    const o = pipeline().accept({ topic: "linli/demo/gate/g1/status", payload: Buffer.from(JSON.stringify({ ts: NOW, uptimeS: 5 })) });
    expect(o.status).toBe("accepted");
    expect(o).not.toHaveProperty("dedupKey");
  });
});
