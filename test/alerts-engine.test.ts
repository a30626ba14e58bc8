import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertsConfigInput } from "../gateway/alerts/config.ts";
import type { Alert } from "../gateway/alerts/types.ts";
import { startAlertsGateway, startReceiver, throwEvent, type AlertsGateway, type Receiver } from "./alerts-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { tempDir } from "./services/process.ts";
import { waitFor } from "./services/ports.ts";

let influx: Influxd;
let escalation: Receiver;

beforeAll(async () => {
  influx = await startInfluxd();
  escalation = await startReceiver(() => ({ status: 200, body: { ok: true } }));
});

afterAll(async () => {
  await escalation?.close();
  await influx?.stop();
});

async function rows(q: string): Promise<Record<string, unknown>[]> {
  const series = await influx.query("linli", q);
  return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

function config(extra: AlertsConfigInput = {}): AlertsConfigInput {
  return {
    dedupWindowMs: 60_000,
    escalation: { afterMinutes: 1.5 / 60, checkMs: 200, webhooks: [{ type: "json", url: `${escalation.url}/escalate` }] },
    // only chargers are watched for silence here, with a short threshold
    rules: { silentAfterMs: { charger: 1_500, throw: 0, lift: 0, gate: 0 }, silentCheckMs: 200, liftFaultGraceMs: 300 },
    evidence: { fetch: false },
    console: { enabled: false },
    ...extra,
  };
}

const escalatedIds = () => escalation.received.flatMap((r) => ((r.body as { event?: string }).event === "escalated" ? [(r.body as { alert: Alert }).alert.id] : []));

describe("alert rules, dedup, escalation, MQTT and InfluxDB (embedded broker, real influxd)", () => {
  let a: AlertsGateway;
  let device: MqttClient;
  let watcher: MqttClient;
  const onTopic: Array<{ topic: string; qos: number; retain: boolean; body: Alert & { lastEvent: string } }> = [];

  beforeAll(async () => {
    a = await startAlertsGateway(config(), { influx: { url: influx.url } });
    device = await a.gw.client();
    watcher = await a.gw.client();
    watcher.on("message", (topic, payload, packet) => onTopic.push({ topic, qos: packet.qos, retain: packet.retain, body: JSON.parse(payload.toString()) }));
    await watcher.subscribeAsync("linli/demo/alerts/+", { qos: 1 });
  });
  afterAll(async () => {
    await a?.stop();
  });

  const publish = (topic: string, payload: unknown) => device.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  const ofType = (type: string) => a.ext.store!.unresolved().filter((x) => x.type === type);

  let throwId = "";
  it("opens an alert for a throw event with its place, severity and snapshot reference, and publishes it retained at QoS 1", async () => {
    const snapshot = `sha256:${createHash("sha256").update("snap-1").digest("hex")}`;
    await publish("linli/demo/throw/throw-cam-01/event", throwEvent({ snapshot }));
    await waitFor("the throw alert", () => ofType("throw").length === 1, 3_000);
    const alert = ofType("throw")[0]!;
    throwId = alert.id;
    expect(alert).toMatchObject({
      type: "throw",
      severity: "critical",
      state: "open",
      count: 1,
      place: { site: "demo", building: "12", floor: 14, kind: "throw", device: "throw-cam-01" },
    });
    expect(alert.evidence).toEqual([{ role: "snapshot", sha256: snapshot.slice(7) }]);
    await waitFor("the alert on MQTT", () => onTopic.some((m) => m.topic === `linli/demo/alerts/${throwId}`), 3_000);
    const msg = onTopic.find((m) => m.topic === `linli/demo/alerts/${throwId}`)!;
    expect(msg.qos).toBe(1);
    expect(msg.body).toMatchObject({ id: throwId, state: "open", lastEvent: "opened" });

    // a client connecting later gets the current state, retained
    const late = await connectAsync(a.gw.brokerUrl, { reconnectPeriod: 0 });
    const got: Array<{ topic: string; retain: boolean; body: Alert }> = [];
    late.on("message", (topic, payload, packet) => got.push({ topic, retain: packet.retain, body: JSON.parse(payload.toString()) }));
    await late.subscribeAsync(`linli/demo/alerts/${throwId}`, { qos: 1 });
    await waitFor("the retained alert", () => got.length > 0, 3_000);
    expect(got[0]).toMatchObject({ retain: true, body: { id: throwId, state: "open" } });
    await late.endAsync();
  });

  it("counts a repeat within the dedup window on the same alert; another floor is another alert", async () => {
    await publish("linli/demo/throw/throw-cam-01/event", throwEvent());
    await waitFor("count 2", () => a.ext.store!.get(throwId)?.count === 2, 3_000);
    expect(ofType("throw")).toHaveLength(1);
    await publish("linli/demo/throw/throw-cam-01/event", throwEvent({ floor: 20 }));
    await waitFor("a second throw alert", () => ofType("throw").length === 2, 3_000);
    expect(a.changes.filter((c) => c.alert.id === throwId).map((c) => c.event)).toEqual(["opened", "repeated"]);
  });

  let chargerId = "";
  it("opens alerts for charger safety alarms, not for other alarm types or telemetry", async () => {
    await publish("linli/demo/charger/charger-03/alarm", { ts: Date.now(), alarmId: "a-77", port: 3, type: "over_temp", value: 92.5, threshold: 90 });
    await publish("linli/demo/charger/charger-03/alarm", { ts: Date.now(), alarmId: "a-78", port: 4, type: "over_power", value: 3000, threshold: 2500 });
    await publish("linli/demo/charger/charger-04/alarm", { ts: Date.now(), alarmId: "a-79", type: "smoke" });
    await waitFor("the charger alerts", () => ofType("charger_over_temp").length === 1 && ofType("charger_smoke").length === 1, 3_000);
    const alert = ofType("charger_over_temp")[0]!;
    chargerId = alert.id;
    expect(alert).toMatchObject({ severity: "critical", place: { device: "charger-03", port: 3, kind: "charger" }, summary: "over_temp 92.5 / 90" });
    expect(ofType("charger_over_power")).toHaveLength(0);
  });

  it("acknowledges with who, when and a note; refuses a second acknowledge", async () => {
    const change = a.ext.engine!.acknowledge(chargerId, "王保安", "on my way to the shed");
    expect(change.alert).toMatchObject({ state: "acknowledged", acknowledgedBy: "王保安", ackNote: "on my way to the shed" });
    expect(() => a.ext.engine!.acknowledge(chargerId, "someone", "")).toThrow(/acknowledged/);
    expect(a.ext.store!.log(chargerId).map((l) => [l.event, l.by ?? null])).toEqual([
      ["opened", null],
      ["acknowledged", "王保安"],
    ]);
  });

  it("escalates alerts left open past the escalation time to the escalation channel, and only those", async () => {
    await waitFor("the throw alert escalated", () => escalatedIds().includes(throwId), 5_000);
    expect(a.ext.store!.get(throwId)?.escalatedAt).toBeGreaterThanOrEqual(a.ext.store!.get(throwId)!.createdAt + 1_500);
    expect(escalatedIds()).not.toContain(chargerId);
    // the retained MQTT state says so too
    await waitFor("escalated on MQTT", () => onTopic.some((m) => m.body.id === throwId && m.body.lastEvent === "escalated" && m.body.escalatedAt !== undefined), 3_000);
  });

  it("raises a device-silent alert past the kind's interval and resolves it when the device speaks", async () => {
    const telemetry = () => ({ ts: Date.now(), ports: [{ port: 1, state: "idle", voltageV: 0, currentA: 0, powerW: 0, energyWh: 5, tempC: 22 }] });
    await publish("linli/demo/charger/charger-09/telemetry", telemetry());
    const silent = () => ofType("device_silent").find((x) => x.place.device === "charger-09");
    await waitFor("charger-09 silent", () => silent() !== undefined, 4_000);
    const id = silent()!.id;
    expect(silent()).toMatchObject({ severity: "warning", place: { kind: "charger", device: "charger-09" } });
    await publish("linli/demo/charger/charger-09/telemetry", telemetry());
    await waitFor("charger-09 silence resolved", () => a.ext.store!.get(id)?.state === "resolved", 3_000);
    expect(a.ext.store!.get(id)).toMatchObject({ resolvedBy: "system", resolveNote: "device spoke again" });
  });

  it("turns lift guard holds into alerts: hold start, max-hold timeout, faults", async () => {
    const bus = a.gw.gateway.core.bus;
    const t = Date.now();
    // the lift guard keeps the best frame in the gateway's evidence store and sends its id and SHA-256
    const frame = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from("a lift camera frame")]);
    const store = a.gw.gateway.core.evidence;
    const kept = store.put(frame, { source: "lift-guard", subject: "h-1" });
    const frameSha = createHash("sha256").update(frame).digest("hex");
    const evidence = { id: kept.id, sha256: kept.sha256 };
    bus.emit("lift.hold", { site: "demo", lift: "lift-07", holdId: "h-1", phase: "start", ts: t, startedAt: t, reason: "ebike", peakScore: 0.93, evidence });
    const hold = () => a.ext.store!.history(50).find((x) => x.type === "lift_hold" && x.place.device === "lift-07");
    expect(hold()).toMatchObject({ state: "open", severity: "warning", place: { kind: "lift", device: "lift-07" } });
    await waitFor("the frame kept as evidence", () => hold()?.evidence[0]?.id !== undefined, 3_000);
    expect(hold()!.evidence).toEqual([{ role: "frame", sha256: frameSha, id: kept.id, mime: "image/jpeg", verified: true }]);
    expect(readFileSync(store.path(store.get(hold()!.evidence[0]!.id!)!))).toEqual(frame);
    bus.emit("lift.hold", { site: "demo", lift: "lift-07", holdId: "h-1", phase: "end", ts: t + 1, startedAt: t, reason: "ebike", peakScore: 0.95, endReason: "max_hold", durationMs: 120_000 });
    expect(hold()).toMatchObject({ state: "resolved", resolvedBy: "system" });
    expect(ofType("lift_hold_timeout")).toEqual([expect.objectContaining({ severity: "critical", summary: expect.stringContaining("120 s") })]);
    // a fault that clears within the grace raises nothing
    bus.emit("lift.alert", { site: "demo", lift: "lift-08", ts: t, kind: "fault", severity: "warning", message: "model_loading" });
    bus.emit("lift.alert", { site: "demo", lift: "lift-08", ts: t + 1, kind: "fault_cleared", severity: "info", message: "judging again" });
    await new Promise((r) => setTimeout(r, 600));
    expect(ofType("lift_fault")).toHaveLength(0);
    // one that lasts is alerted once the grace has passed
    bus.emit("lift.alert", { site: "demo", lift: "lift-08", ts: t, kind: "fault", severity: "warning", message: "no frames for 10 s" });
    expect(ofType("lift_fault")).toHaveLength(0);
    await waitFor("fault alert after the grace", () => ofType("lift_fault").length === 1, 3_000);
    expect(ofType("lift_fault")).toEqual([expect.objectContaining({ summary: "no frames for 10 s", place: expect.objectContaining({ device: "lift-08" }) })]);
    bus.emit("lift.alert", { site: "demo", lift: "lift-08", ts: t + 5, kind: "fault_cleared", severity: "info", message: "frames again" });
    expect(ofType("lift_fault")).toHaveLength(0);
    // a normal end closes the hold alert without a timeout alert
    bus.emit("lift.hold", { site: "demo", lift: "lift-09", holdId: "h-2", phase: "start", ts: t, startedAt: t, reason: "ebike", peakScore: 0.9 });
    bus.emit("lift.hold", { site: "demo", lift: "lift-09", holdId: "h-2", phase: "end", ts: t + 9, startedAt: t, reason: "ebike", peakScore: 0.9, endReason: "cleared", durationMs: 9_000 });
    expect(a.ext.store!.history(50).filter((x) => x.place.device === "lift-09").map((x) => [x.type, x.state])).toEqual([["lift_hold", "resolved"]]);
    // staff calling a lift's holds false: one alert, in staff's words
    const falseHolds = { site: "demo", lift: "lift-10", kind: "false_holds", severity: "warning", message: "3 holds were called false", falseHolds: { count: 3, windowHours: 24 } } as const;
    bus.emit("lift.alert", { ...falseHolds, ts: t });
    bus.emit("lift.alert", { ...falseHolds, ts: t + 1, falseHolds: { count: 4, windowHours: 24 } });
    expect(ofType("lift_false_holds")).toEqual([expect.objectContaining({ severity: "warning", count: 2, place: expect.objectContaining({ device: "lift-10" }), details: { count: 4, windowHours: 24 } })]);
    // an RTSP camera that fails: one alert in ffmpeg's (redacted) words, closed when it streams again
    bus.emit("camera.status", { site: "demo", lift: "lift-11", ts: t, state: "failed", detail: "rtsp://***@10.0.0.5/ 401 Unauthorized; retry in 2 s" });
    bus.emit("camera.status", { site: "demo", lift: "lift-11", ts: t + 1, state: "stalled", detail: "no frame for 10 s" });
    expect(ofType("camera_fault")).toEqual([expect.objectContaining({ count: 2, summary: "no frame for 10 s", place: expect.objectContaining({ kind: "lift", device: "lift-11" }) })]);
    bus.emit("camera.status", { site: "demo", lift: "lift-11", ts: t + 2, state: "streaming", detail: "frames again" });
    expect(ofType("camera_fault")).toHaveLength(0);
  });

  it("writes every state change to InfluxDB's alert measurement, with the time to acknowledge", async () => {
    a.ext.engine!.resolve(chargerId, "王保安", "unplugged the bike");
    await waitFor(
      "alert points",
      async () => (await rows(`SELECT * FROM alert WHERE alert_id = '${chargerId}'`)).some((r) => r.event === "resolved"),
      10_000,
    );
    const charger = await rows(`SELECT * FROM alert WHERE alert_id = '${chargerId}'`);
    expect(charger.map((r) => r.event)).toEqual(["opened", "acknowledged", "resolved"]);
    const acked = charger.find((r) => r.event === "acknowledged")!;
    expect(acked).toMatchObject({ type: "charger_over_temp", severity: "critical", device: "charger-03", by: "王保安" });
    expect(acked.ack_ms).toEqual(expect.any(Number));
    expect(acked.ack_ms as number).toBeGreaterThanOrEqual(0);
    expect(charger.find((r) => r.event === "resolved")!.resolve_ms as number).toBeGreaterThanOrEqual(acked.ack_ms as number);
    await waitFor("throw points", async () => (await rows(`SELECT * FROM alert WHERE alert_id = '${throwId}'`)).length >= 3, 10_000);
    const thrown = await rows(`SELECT * FROM alert WHERE alert_id = '${throwId}'`);
    expect(thrown.map((r) => [r.event, r.count, r.escalated])).toEqual([
      ["opened", 1, 0],
      ["repeated", 2, 0],
      ["escalated", 2, 1],
    ]);
    expect(thrown[0]).toMatchObject({ type: "throw", building: "12", kind: "throw" });
  });
});

describe("alerts survive a gateway restart", () => {
  it("keeps open and acknowledged alerts, escalates on time after the restart, dedups across it, and notices silence", async () => {
    const dataDir = tempDir("alerts-restart");
    const cfg = config({ escalation: { afterMinutes: 2.5 / 60, checkMs: 200, webhooks: [{ type: "json", url: `${escalation.url}/escalate` }] } });
    let a = await startAlertsGateway(cfg, { influx: { url: influx.url } }, dataDir);
    let device = await a.gw.client();
    await device.publishAsync("linli/demo/throw/throw-cam-07/event", JSON.stringify(throwEvent({ building: "3", floor: 9 })), { qos: 1 });
    await device.publishAsync("linli/demo/throw/throw-cam-08/event", JSON.stringify(throwEvent({ building: "4", floor: 2 })), { qos: 1 });
    await device.publishAsync(
      "linli/demo/charger/charger-21/telemetry",
      JSON.stringify({ ts: Date.now(), ports: [{ port: 1, state: "idle", voltageV: 0, currentA: 0, powerW: 0, energyWh: 5, tempC: 22 }] }),
      { qos: 1 },
    );
    await waitFor("two alerts", () => a.ext.store!.unresolved().filter((x) => x.type === "throw").length === 2, 3_000);
    const [cam7, cam8] = ["throw-cam-07", "throw-cam-08"].map((d) => a.ext.store!.unresolved().find((x) => x.place.device === d)!) as [Alert, Alert];
    a.ext.engine!.acknowledge(cam8.id, "李队长", "checked the CCTV");
    await a.stop(true);
    expect(escalatedIds()).not.toContain(cam7.id);

    a = await startAlertsGateway(cfg, { influx: { url: influx.url } }, dataDir);
    try {
      expect(a.ext.store!.get(cam7.id)).toMatchObject({ state: "open", count: 1, place: { building: "3", floor: 9 } });
      expect(a.ext.store!.get(cam8.id)).toMatchObject({ state: "acknowledged", acknowledgedBy: "李队长", ackNote: "checked the CCTV" });
      // the retained state is there again on the new broker
      const late = await a.gw.client();
      const got: string[] = [];
      late.on("message", (topic) => got.push(topic));
      await late.subscribeAsync("linli/demo/alerts/+", { qos: 1 });
      await waitFor("retained states after restart", () => got.includes(`linli/demo/alerts/${cam7.id}`) && got.includes(`linli/demo/alerts/${cam8.id}`), 3_000);
      // escalation runs on the time the alert opened, across the restart
      await waitFor("escalated after the restart", () => escalatedIds().includes(cam7.id), 5_000);
      expect(escalatedIds()).not.toContain(cam8.id);
      // a repeat after the restart counts on the same alert
      device = await a.gw.client();
      await device.publishAsync("linli/demo/throw/throw-cam-07/event", JSON.stringify(throwEvent({ building: "3", floor: 9 })), { qos: 1 });
      await waitFor("count 2 after restart", () => a.ext.store!.get(cam7.id)?.count === 2, 3_000);
      // charger-21 spoke before the restart and never again: still noticed
      await waitFor("charger-21 silent", () => a.ext.store!.unresolved().some((x) => x.type === "device_silent" && x.place.device === "charger-21"), 4_000);
      const resolved = a.ext.engine!.resolve(cam8.id, "李队长", "nobody hurt");
      expect(resolved.alert.acknowledgedAt! - resolved.alert.createdAt).toBeLessThan(resolved.alert.resolvedAt! - resolved.alert.createdAt);
      expect(a.ext.store!.log(cam8.id).map((l) => l.event)).toEqual(["opened", "acknowledged", "resolved"]);
    } finally {
      await a.stop();
    }
  });
});
