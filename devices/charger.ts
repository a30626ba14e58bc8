import { z } from "zod";
import { defineMeasurement } from "../gateway/influx/point.ts";
import { arrives, dailyActivity, devicePoint, envelope, id, round } from "./common.ts";
import { defineKind, jsonChannel, type SimMessage } from "./types.ts";

const port = z.number().int().min(1).max(64);

export const chargerTelemetrySchema = z.strictObject({
  ...envelope,
  ports: z
    .array(
      z.strictObject({
        port,
        state: z.enum(["idle", "charging", "full", "fault"]),
        voltageV: z.number().min(0).max(500),
        currentA: z.number().min(0).max(100),
        powerW: z.number().min(0).max(20_000),
        energyWh: z.number().min(0).max(1e9),
        tempC: z.number().min(-40).max(200),
      }),
    )
    .min(1)
    .max(64),
});
export type ChargerTelemetry = z.infer<typeof chargerTelemetrySchema>;

export const chargerAlarmTypes = ["over_temp", "over_current", "over_power", "smoke", "relay_welded", "offline"] as const;

export const chargerAlarmSchema = z.strictObject({
  ...envelope,
  alarmId: id,
  port: port.optional(),
  type: z.enum(chargerAlarmTypes),
  value: z.number().optional(),
  threshold: z.number().optional(),
});
export type ChargerAlarm = z.infer<typeof chargerAlarmSchema>;

export const chargerSessionSchema = z.strictObject({
  ...envelope,
  sessionId: id,
  port,
  durationS: z.number().int().min(0).max(7 * 86_400),
  energyWh: z.number().min(0).max(100_000),
  reason: z.enum(["full", "user", "timeout", "fault", "power_loss"]),
});
export type ChargerSession = z.infer<typeof chargerSessionSchema>;

/**
 * A charger's answer to one command on its `cmd` channel, by the command's `seq`: `ok: false` says
 * it could not carry it out, and `error` why. The gateway's chargers feature (gateway/chargers) waits for it.
 */
export const chargerAckSchema = z.strictObject({
  ...envelope,
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  ok: z.boolean(),
  error: z.string().min(1).max(200).optional(),
});
export type ChargerAck = z.infer<typeof chargerAckSchema>;

export const chargerPort = defineMeasurement({
  name: "charger_port",
  description: "One charging port's electrical state, one point per port per telemetry message.",
  tags: ["site", "charger", "port"],
  fields: { state: "string", charging: "integer", voltage_v: "float", current_a: "float", power_w: "float", energy_wh: "float", temp_c: "float" },
});

export const chargerAlarm = defineMeasurement({
  name: "charger_alarm",
  description: "An alarm raised by a charger: over-temperature, smoke, over-current, welded relay, ...",
  tags: ["site", "charger", "type"],
  fields: { alarm_id: "string", port: "integer", value: "float", threshold: "float", count: "integer" },
  identity: "alarm_id",
});

export const chargerSession = defineMeasurement({
  name: "charger_session",
  description: "A finished charge on one port.",
  tags: ["site", "charger", "reason"],
  fields: { session_id: "string", port: "integer", duration_s: "integer", energy_wh: "float" },
  identity: "session_id",
});

const PORTS = 10;
const OVER_TEMP_C = 90;

/** A 10-port shed charger: e-bikes plug in (more in the evening), draw ~100-250 W, stop when full. */
function simulatedCharger(index: number, random: () => number) {
  const deviceId = `charger-${String(index + 1).padStart(2, "0")}`;
  const ports = Array.from({ length: PORTS }, (_, i) => ({
    port: i + 1,
    charging: false,
    startedAt: 0,
    needWh: 0,
    sessionWh: 0,
    energyWh: Math.round(random() * 50_000),
    powerW: 0,
    tempC: 22,
  }));
  let lastTelemetryAt = -Infinity;
  let sessions = 0;
  let alarms = 0;
  return {
    deviceId,
    tick(now: number): SimMessage[] {
      if (now - lastTelemetryAt < 30_000) return [];
      const dtH = Number.isFinite(lastTelemetryAt) ? (now - lastTelemetryAt) / 3_600_000 : 0;
      lastTelemetryAt = now;
      const out: SimMessage[] = [];
      for (const p of ports) {
        if (!p.charging && arrives(0.25 * dailyActivity(now + 3 * 3_600_000), 30_000, random)) {
          Object.assign(p, { charging: true, startedAt: now, needWh: 200 + random() * 600, sessionWh: 0, powerW: 100 + random() * 150 });
        }
        if (p.charging) {
          const wh = p.powerW * dtH;
          p.sessionWh += wh;
          p.energyWh += wh;
          p.tempC = Math.min(95, p.tempC + (30 + p.powerW / 12 - p.tempC) * 0.2 + (random() - 0.5));
          if (p.sessionWh >= p.needWh) {
            p.charging = false;
            out.push({
              deviceId,
              channel: "session",
              payload: { ts: now, sessionId: `${deviceId}-s${++sessions}`, port: p.port, durationS: Math.round((now - p.startedAt) / 1000), energyWh: round(p.sessionWh, 1), reason: "full" },
            });
          }
        } else {
          p.tempC += (22 - p.tempC) * 0.1;
        }
        // A rare battery or connector fault: the port over-heats and the charger cuts it off.
        if (p.charging && random() < 0.00005) {
          p.charging = false;
          out.push({ deviceId, channel: "alarm", payload: { ts: now, alarmId: `${deviceId}-a${++alarms}`, port: p.port, type: "over_temp", value: round(OVER_TEMP_C + random() * 8, 1), threshold: OVER_TEMP_C } });
        }
      }
      out.push({
        deviceId,
        channel: "telemetry",
        payload: {
          ts: now,
          ports: ports.map((p) => ({
            port: p.port,
            state: p.charging ? "charging" : p.sessionWh > 0 ? "full" : "idle",
            voltageV: p.charging ? round(48 + random(), 1) : 0,
            currentA: p.charging ? round(p.powerW / 48, 2) : 0,
            powerW: p.charging ? round(p.powerW, 1) : 0,
            energyWh: round(p.energyWh, 1),
            tempC: round(p.tempC, 1),
          })),
        },
      });
      return out;
    },
  };
}

export const charger = defineKind({
  kind: "charger",
  title: "Bike-shed e-bike charger",
  names: { zh: "充电桩", en: "Charger" },
  silentAfterMs: 120_000,
  outbound: ["cmd"],
  measurements: [chargerPort, chargerAlarm, chargerSession],
  channels: {
    telemetry: jsonChannel({
      description: "Every port's state, voltage, current, power, energy meter and temperature.",
      maxBytes: 16_384,
      schema: chargerTelemetrySchema,
      points: (e) =>
        e.data.ports.map((p) =>
          devicePoint(
            e,
            chargerPort,
            "charger",
            { state: p.state, charging: p.state === "charging" ? 1 : 0, voltage_v: p.voltageV, current_a: p.currentA, power_w: p.powerW, energy_wh: p.energyWh, temp_c: p.tempC },
            { port: String(p.port) },
          ),
        ),
    }),
    alarm: jsonChannel({
      description: "A safety alarm: over_temp, over_current, over_power, smoke, relay_welded, offline.",
      maxBytes: 2_048,
      schema: chargerAlarmSchema,
      eventIdOf: (d) => d.alarmId,
      points: (e) => [
        devicePoint(
          e,
          chargerAlarm,
          "charger",
          { alarm_id: e.data.alarmId, port: e.data.port, value: e.data.value, threshold: e.data.threshold, count: 1 },
          { type: e.data.type },
        ),
      ],
    }),
    session: jsonChannel({
      description: "A finished charge: duration, energy, why it stopped.",
      maxBytes: 2_048,
      schema: chargerSessionSchema,
      eventIdOf: (d) => d.sessionId,
      points: (e) => [
        devicePoint(e, chargerSession, "charger", { session_id: e.data.sessionId, port: e.data.port, duration_s: e.data.durationS, energy_wh: e.data.energyWh }, { reason: e.data.reason }),
      ],
    }),
    ack: jsonChannel({
      description: "The answer to a command on `cmd`: its seq, ok, and an error when it could not be carried out.",
      answers: "cmd",
      maxBytes: 1_024,
      schema: chargerAckSchema,
      // the chargers feature audits and counts acks; a command's outcome is no time series
      points: () => [],
    }),
  },
  simulator: {
    defaultCount: 30,
    tickMs: 1_000,
    create: (index, options) => simulatedCharger(index, options.random),
    // a simulated charger carries out every port command it is sent, so the demo's cut ports are acknowledged
    answer: (command) => {
      const seq = (command as { seq?: unknown }).seq;
      return typeof seq === "number" && Number.isInteger(seq) && seq > 0 ? { channel: "ack", payload: { seq, ok: true } } : undefined;
    },
  },
});
