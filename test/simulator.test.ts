import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { IngestPipeline } from "../gateway/ingest/pipeline.ts";
import { deviceTopic } from "../gateway/ingest/topic.ts";
import { encodePayload, Fleet } from "../gateway/simulate/fleet.ts";
import { sinkFor } from "../gateway/influx/connect.ts";
import { parseConfig } from "../gateway/config.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { GatewayMetrics } from "../gateway/metrics.ts";
import { pointContext } from "../gateway/privacy.ts";
import { writePastDay } from "../gateway/simulate/past-day.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";

const HOUR = 3_600_000;

describe("simulated compound", () => {
  it("has a compound's devices by default: 30 lifts, 300 charger ports, 40 throw cameras", () => {
    const start = Date.UTC(2026, 10, 27, 0, 0, 0);
    const fleet = new Fleet(deviceKinds, { seed: 1 });
    const devices = new Map<string, Set<string>>();
    let chargerPorts = 0;
    for (let t = start; t < start + 120_000; t += 1_000) {
      for (const m of fleet.tick(t)) {
        if (!devices.has(m.kind)) devices.set(m.kind, new Set());
        devices.get(m.kind)?.add(m.deviceId);
        if (m.kind === "charger" && m.channel === "telemetry" && t === start) chargerPorts += (m.payload as { ports: unknown[] }).ports.length;
      }
    }
    expect(devices.get("lift")?.size).toBe(30);
    expect(devices.get("throw")?.size).toBe(40);
    expect(devices.get("charger")?.size).toBe(30);
    expect(chargerPorts).toBe(300);
    expect(devices.get("gate")?.size).toBe(4);
  });

  it("publishes only what the ingest pipeline accepts, over a simulated day", () => {
    const start = Date.UTC(2026, 10, 27, 0, 0, 0) - 8 * HOUR;
    let clock = start;
    const pointContext = { protectId: (id: string) => id };
    const pipeline = new IngestPipeline(deviceKinds, { site: "demo", maxClockSkewMs: 0, dedupWindow: 1_000_000, maxBytes: {}, pointContext, counters: new GatewayMetrics("demo"), now: () => clock });
    const fleet = new Fleet(deviceKinds, { seed: 7, counts: { lift: 4, gate: 2, charger: 4, throw: 40 }, images: [Buffer.from([0xff, 0xd8, 0xff, 0xe0])] });
    const perChannel = new Map<string, number>();
    for (; clock < start + 24 * HOUR; clock += 1_000) {
      for (const m of fleet.tick(clock)) {
        const outcome = pipeline.accept({ topic: deviceTopic({ site: "demo", kind: m.kind, deviceId: m.deviceId, channel: m.channel }), payload: encodePayload(m.payload) });
        if (outcome.status !== "accepted") throw new Error(`simulator sent something the gateway rejects: ${JSON.stringify(outcome)} for ${m.kind}/${m.channel}`);
        perChannel.set(`${m.kind}/${m.channel}`, (perChannel.get(`${m.kind}/${m.channel}`) ?? 0) + 1);
      }
    }
    // Every channel of every kind is exercised in a day, including the rare ones.
    // (a channel that answers a command, a charger's ack, is heard only after a command: see below)
    for (const k of deviceKinds) for (const [ch, def] of Object.entries(k.channels)) if (!def.answers) expect(perChannel.get(`${k.kind}/${ch}`), `${k.kind}/${ch}`).toBeGreaterThan(0);
    // and what a simulated device answers to a command is something the gateway accepts
    for (const k of deviceKinds.filter((d) => d.simulator.answer)) {
      const reply = k.simulator.answer!({ cmd: "port_off", port: 1, seq: 9 })!;
      const outcome = pipeline.accept({ topic: deviceTopic({ site: "demo", kind: k.kind, deviceId: "x-1", channel: reply.channel }), payload: encodePayload({ ...reply.payload, ts: clock }) });
      expect(outcome.status, `${k.kind}/${reply.channel}`).toBe("accepted");
      expect(k.channels[reply.channel]?.answers).toBe("cmd");
    }
    // Rush hours: gates are busier at 08:00 than at 03:00 local time.
    expect(perChannel.get("gate/event")).toBeGreaterThan(500);
  });
});

describe("past-day mode", () => {
  let influx: Influxd;
  beforeAll(async () => {
    influx = await startInfluxd();
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it("writes a past stretch into InfluxDB, spread over its hours", async () => {
    const config = parseConfig({ influx: { url: influx.url } }, {});
    const end = Date.now();
    const result = await writePastDay(deviceKinds, allMeasurements, sinkFor(config.influx, allMeasurements), pointContext(config.privacy), { site: "demo", seed: 3, hours: 6, end, counts: { lift: 3, gate: 2, charger: 3, throw: 4 } });
    expect(result.points).toBeGreaterThan(1_000);
    const series = await influx.query("linli", `SELECT count(power_w) FROM charger_port WHERE time > ${(end - 6 * HOUR) * 1e6} GROUP BY time(1h) fill(0)`);
    const perHour = (series[0]?.values ?? []).map((v) => Number(v[1]));
    expect(perHour.filter((n) => n > 0).length).toBeGreaterThanOrEqual(6);
    const gw = await influx.query("linli", "SELECT last(messages_in) FROM gateway");
    expect(Number(gw[0]?.values[0]?.[1])).toBeGreaterThan(0);
  });
});
