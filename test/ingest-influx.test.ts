import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";

let influx: Influxd;
let gw: TestGateway;
let device: MqttClient;

async function rows(q: string): Promise<Record<string, unknown>[]> {
  const series = await influx.query("linli", q);
  return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

async function publish(topic: string, payload: unknown): Promise<void> {
  await device.publishAsync(topic, Buffer.isBuffer(payload) ? payload : typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1 });
}

beforeAll(async () => {
  influx = await startInfluxd();
  gw = await startTestGateway({ influx: { url: influx.url }, privacy: { ids: "hash", salt: "test-salt" } });
  device = await gw.client();
});

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

describe("MQTT ingest into a real InfluxDB 1.x", () => {
  const now = Date.now();

  it("writes each kind's messages as the documented points", async () => {
    await publish("linli/demo/lift/lift-07/state", { ts: now, floor: 12, door: "open", moving: false, direction: "none", mode: "normal", loadPct: 35 });
    await publish("linli/demo/gate/gate-car-1/event", { ts: now, eventId: "g1-000123", method: "plate", direction: "in", granted: true, plate: "沪A12345", plateColor: "blue", confidence: 0.97 });
    await publish("linli/demo/gate/gate-walk-2/event", { ts: now, eventId: "g2-9", method: "face", direction: "out", granted: true, personId: "p-0042", confidence: 0.99 });
    await publish("linli/demo/charger/charger-03/telemetry", {
      ts: now,
      ports: [
        { port: 1, state: "charging", voltageV: 48.2, currentA: 2.1, powerW: 101.2, energyWh: 350, tempC: 31.5 },
        { port: 2, state: "idle", voltageV: 0, currentA: 0, powerW: 0, energyWh: 12, tempC: 22 },
      ],
    });
    await publish("linli/demo/charger/charger-03/alarm", { ts: now, alarmId: "a-77", port: 3, type: "over_temp", value: 92.5, threshold: 90 });
    await publish("linli/demo/charger/charger-03/session", { ts: now, sessionId: "s-1", port: 1, durationS: 14400, energyWh: 820, reason: "full" });
    await publish("linli/demo/throw/throw-cam-05/event", {
      ts: now,
      eventId: "t-9",
      building: "12",
      floor: 14,
      confidence: 0.91,
      track: [{ t: 0, x: 0.51, y: 0.22 }, { t: 400, x: 0.52, y: 0.61 }],
      snapshot: `sha256:${"ab".repeat(32)}`,
    });
    await publish("linli/demo/throw/throw-cam-05/status", { ts: now, uptimeS: 3600 });

    await waitFor("all points in InfluxDB", async () => (await rows("SELECT count(*) FROM throw_event")).length > 0 && (await rows("SELECT * FROM device_heartbeat")).length > 0);

    expect(await rows("SELECT * FROM lift_state")).toEqual([
      expect.objectContaining({ time: now, site: "demo", lift: "lift-07", floor: 12, door: "open", door_open: 1, moving: false, direction: "none", mode: "normal", load_pct: 35 }),
    ]);
    const gates = await rows("SELECT * FROM gate_pass ORDER BY time");
    expect(gates).toHaveLength(2);
    const plate = gates.find((g) => g.gate === "gate-car-1");
    expect(plate).toMatchObject({ method: "plate", direction: "in", granted: "true", event_id: "g1-000123", plate_color: "blue", confidence: 0.97, count: 1 });
    // Plates are personal data: stored as a keyed hash, never in clear.
    expect(plate?.subject).toMatch(/^h:[0-9a-f]{16}$/);
    expect(JSON.stringify(gates)).not.toContain("沪A12345");
    expect(JSON.stringify(gates)).not.toContain("p-0042");

    const ports = await rows("SELECT * FROM charger_port GROUP BY port");
    expect(ports).toHaveLength(2);
    expect(ports.find((p) => p.port === "1")).toMatchObject({ charger: "charger-03", state: "charging", charging: 1, voltage_v: 48.2, current_a: 2.1, power_w: 101.2, energy_wh: 350, temp_c: 31.5 });
    expect(await rows("SELECT * FROM charger_alarm")).toEqual([expect.objectContaining({ type: "over_temp", alarm_id: "a-77", port: 3, value: 92.5, threshold: 90 })]);
    expect(await rows("SELECT * FROM charger_session")).toEqual([expect.objectContaining({ reason: "full", session_id: "s-1", port: 1, duration_s: 14400, energy_wh: 820 })]);
    expect(await rows("SELECT * FROM throw_event")).toEqual([expect.objectContaining({ camera: "throw-cam-05", building: "12", floor: 14, confidence: 0.91, fall_ms: 400, snapshot: `sha256:${"ab".repeat(32)}` })]);
    expect(await rows("SELECT * FROM device_heartbeat")).toEqual([expect.objectContaining({ kind: "throw", device: "throw-cam-05", uptime_s: 3600 })]);
  });

  it("keeps integer fields integers, so InfluxDB never sees a type conflict", async () => {
    // A float where the schema says integer is rounded, not written as a float.
    await publish("linli/demo/charger/charger-04/session", { ts: now, sessionId: "s-2", port: 2, durationS: 100, energyWh: 10, reason: "user" });
    await waitFor("session s-2", async () => (await rows("SELECT * FROM charger_session WHERE session_id = 's-2'")).length === 1);
    const keys = await rows("SHOW FIELD KEYS FROM charger_session");
    expect(Object.fromEntries(keys.map((k) => [k.fieldKey, k.fieldType]))).toEqual({ duration_s: "integer", port: "integer", energy_wh: "float", session_id: "string" });
    const lift = await rows("SHOW FIELD KEYS FROM lift_state");
    expect(Object.fromEntries(lift.map((k) => [k.fieldKey, k.fieldType]))).toMatchObject({ floor: "integer", door_open: "integer", load_pct: "float", moving: "boolean" });
  });

  it("rejects bad input with a reason, counts it, publishes it, and keeps good traffic flowing", async () => {
    const watcher = await gw.client();
    const seen: Array<{ topic: string; reason: string }> = [];
    watcher.on("message", (_t, payload) => seen.push(JSON.parse(payload.toString()) as { topic: string; reason: string }));
    await watcher.subscribeAsync("linli/demo/gateway/rejected", { qos: 1 });

    const before = gw.gateway.metrics.totals.rejected;
    const bad: Array<[string, unknown, string]> = [
      ["linli/demo/lift/bad-1/state", "{not json", "malformed_json"],
      ["linli/demo/lift/bad-2/state", { floor: "twelve", door: "open", moving: false, direction: "none", mode: "normal" }, "schema"],
      ["linli/demo/charger/bad-3/telemetry", { ports: [{ port: 1, state: "charging", voltageV: -5, currentA: 1, powerW: 1, energyWh: 1, tempC: 20 }] }, "schema"],
      ["linli/demo/lift/bad-4/teleport", { floor: 1 }, "unknown_channel"],
      ["linli/demo/lift/bad-5/state", "x".repeat(10_000), "oversize"],
      ["linli/demo/lift/bad-6/state", { deviceId: "someone-else", floor: 1, door: "open", moving: false, direction: "none", mode: "normal" }, "device_mismatch"],
      ["linli/demo/gate/gate-car-1/event", { ts: now, eventId: "g1-000123", method: "plate", direction: "in", granted: true, plate: "沪A12345", confidence: 0.97 }, "duplicate"],
      ["linli/demo/lift/bad-7/frame", Buffer.from("not an image"), "bad_image"],
    ];
    for (const [topic, payload] of bad) await publish(topic, payload);
    // Valid traffic from another device, sent after the bad input, still arrives.
    await publish("linli/demo/lift/lift-08/state", { ts: now, floor: 3, door: "closed", moving: true, direction: "up", mode: "normal" });

    await waitFor("rejections published", () => seen.length >= bad.length);
    expect(seen.map((s) => [s.topic, s.reason])).toEqual(bad.map(([topic, , reason]) => [topic, reason]));
    expect(gw.gateway.metrics.totals.rejected - before).toBe(bad.length);
    for (const [, , reason] of bad) expect(gw.gateway.metrics.rejectedByReason.get(reason as never)).toBeGreaterThanOrEqual(1);

    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/linli_messages_rejected_total\{reason="malformed_json",site="demo"\} 1/);

    await waitFor("lift-08 state", async () => (await rows("SELECT * FROM lift_state WHERE lift = 'lift-08'")).length === 1);
    expect(await rows("SELECT * FROM lift_state WHERE lift =~ /^bad-/")).toEqual([]);
  });
});
