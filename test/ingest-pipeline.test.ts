import { describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { IngestPipeline, type Outcome } from "../gateway/ingest/pipeline.ts";
import { GatewayMetrics } from "../gateway/metrics.ts";
import { mask } from "../gateway/privacy.ts";

const NOW = 1_764_300_000_000;

function pipeline(maxBytes: Record<string, number> = {}, counters = new GatewayMetrics("demo")) {
  return new IngestPipeline(deviceKinds, { site: "demo", maxClockSkewMs: 300_000, dedupWindow: 1_000, maxBytes, pointContext: { protectId: mask }, counters, now: () => NOW });
}

function send(p: IngestPipeline, topic: string, payload: unknown): Outcome {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload));
  return p.accept({ topic, payload: body });
}

const liftState = { ts: NOW, floor: 12, door: "open", moving: false, direction: "none", mode: "normal", loadPct: 35 };
const gateEvent = { ts: NOW, eventId: "g1-000123", method: "plate", direction: "in", granted: true, plate: "沪A12345", plateColor: "blue", confidence: 0.97 };

function reason(o: Outcome): string {
  return o.status === "rejected" ? o.reason : o.status;
}

describe("ingest pipeline", () => {
  it("accepts the documented examples as canonical events", () => {
    const p = pipeline();
    const o = send(p, "linli/demo/lift/lift-01/state", liftState);
    expect(o.status).toBe("accepted");
    if (o.status !== "accepted") return;
    expect(o.event).toMatchObject({ site: "demo", kind: "lift", deviceId: "lift-01", channel: "state", ts: NOW, data: { floor: 12, door: "open" } });
    expect(send(p, "linli/demo/gate/g1/event", gateEvent).status).toBe("accepted");
  });

  it.each([
    ["malformed JSON", "linli/demo/lift/l1/state", "{floor: 12", "malformed_json"],
    ["a wrong type", "linli/demo/lift/l1/state", { ...liftState, floor: "12" }, "schema"],
    ["an out-of-range value", "linli/demo/charger/c1/telemetry", { ports: [{ port: 1, state: "charging", voltageV: 48, currentA: 2, powerW: 1e9, energyWh: 1, tempC: 30 }] }, "schema"],
    ["NaN spelt as a string", "linli/demo/lift/l1/state", { ...liftState, loadPct: "NaN" }, "schema"],
    ["an unknown enum value", "linli/demo/lift/l1/state", { ...liftState, door: "ajar" }, "schema"],
    ["an unknown field", "linli/demo/lift/l1/state", { ...liftState, speed: 2 }, "schema"],
    ["an unknown channel", "linli/demo/lift/l1/telemetry", liftState, "unknown_channel"],
    ["an unknown kind", "linli/demo/escalator/e1/state", liftState, "unknown_kind"],
    ["a topic of the wrong shape", "linli/demo/lift/state", liftState, "bad_topic"],
    ["another site's topic", "linli/other/lift/l1/state", liftState, "bad_topic"],
    ["a deviceId that disagrees with the topic", "linli/demo/lift/l1/state", { ...liftState, deviceId: "l2" }, "device_mismatch"],
    ["a frame that is not an image", "linli/demo/lift/l1/frame", Buffer.from("GIF89a...."), "bad_image"],
    ["an empty frame", "linli/demo/lift/l1/frame", Buffer.alloc(0), "bad_image"],
  ])("rejects %s with a reason", (_what, topic, payload, expected) => {
    expect(reason(send(pipeline(), topic, payload))).toBe(expected);
  });

  it("checks the size cap before parsing, per channel, overridable by config", () => {
    const huge = "x".repeat(5_000);
    expect(reason(send(pipeline(), "linli/demo/lift/l1/state", huge))).toBe("oversize");
    const p = pipeline({ "lift/state": 100 });
    expect(reason(send(p, "linli/demo/lift/l1/state", { ...liftState }))).toBe("oversize");
  });

  it("refuses a repeated event id from the same device, not from another", () => {
    const p = pipeline();
    expect(send(p, "linli/demo/gate/g1/event", gateEvent).status).toBe("accepted");
    expect(reason(send(p, "linli/demo/gate/g1/event", gateEvent))).toBe("duplicate");
    expect(send(p, "linli/demo/gate/g2/event", gateEvent).status).toBe("accepted");
  });

  it("stamps the receive time when ts is missing or far off, and says which", () => {
    const p = pipeline();
    const missing = send(p, "linli/demo/lift/l1/state", { ...liftState, ts: undefined });
    expect(missing).toMatchObject({ status: "accepted", restamped: "missing", event: { ts: NOW } });
    const skewed = send(p, "linli/demo/lift/l1/state", { ...liftState, ts: NOW - 3_600_000 });
    expect(skewed).toMatchObject({ status: "accepted", restamped: "skew", event: { ts: NOW } });
    const fine = send(p, "linli/demo/lift/l1/state", { ...liftState, ts: NOW - 2_000 });
    expect(fine).toMatchObject({ status: "accepted", event: { ts: NOW - 2_000 } });
    expect(fine).not.toHaveProperty("restamped");
  });

  it("yields an accepted message's points, built with the site's privacy", () => {
    const o = send(pipeline(), "linli/demo/gate/g1/event", gateEvent);
    expect(o).toMatchObject({
      status: "accepted",
      points: [
        {
          measurement: "gate_pass",
          tags: { site: "demo", gate: "g1", method: "plate", direction: "in", granted: "true" },
          fields: { event_id: "g1-000123", subject: "沪A***45", plate_color: "blue", confidence: 0.97, count: 1 },
          ts: NOW,
        },
      ],
    });
  });

  it("counts every outcome it returns, except the ignored", async () => {
    const metrics = new GatewayMetrics("demo");
    const p = pipeline({}, metrics);
    send(p, "linli/demo/lift/l1/state", liftState);
    send(p, "linli/demo/lift/l1/state", { ...liftState, ts: undefined });
    send(p, "linli/demo/lift/l1/state", "{floor: 12");
    send(p, "linli/demo/lift/l1/cmd", { holdUntil: NOW });
    expect(metrics.totals).toMatchObject({ messagesIn: 2, rejected: 1, tsRestamped: 1 });
    expect([...metrics.rejectedByReason]).toEqual([["malformed_json", 1]]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('linli_messages_in_total{kind="lift",channel="state",site="demo"} 2');
    expect(text).toContain('linli_messages_rejected_total{reason="malformed_json",site="demo"} 1');
    expect(text).toContain('linli_ts_restamped_total{cause="missing",site="demo"} 1');
  });

  it("ignores the command channels the gateway itself publishes on", () => {
    expect(send(pipeline(), "linli/demo/lift/l1/cmd", { holdUntil: NOW }).status).toBe("ignored");
  });

  it("takes a frame's seq and ts from MQTT 5 user properties", () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    const o = pipeline().accept({ topic: "linli/demo/lift/l1/frame", payload: jpeg, userProperties: { ts: String(NOW - 100), seq: "42" } });
    expect(o).toMatchObject({ status: "accepted", event: { ts: NOW - 100, data: { format: "jpeg", seq: 42, ts: NOW - 100 } } });
  });
});
