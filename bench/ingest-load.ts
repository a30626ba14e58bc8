/**
 * The load generator of `npm run bench:ingest`, in its own process so that its CPU is nobody's
 * figure: QoS 1 over 4 connections, 1000 in flight, the canonical payloads of the gate and charger
 * simulators with a fresh `ts` (and event id) per message.
 *
 * Every `total / markers`-th message comes from the device `bench-marker`; its publish time is
 * printed (`M <k> <epoch ms>`), so the bench can time when it becomes visible in the database.
 * Also printed: `S <epoch ms>` at the first publish. It exits once every PUBACK is in.
 *
 *   node --import tsx bench/ingest-load.ts <url> <site> <gate|charger> <total> <markers>
 */
import { connectAsync } from "mqtt";
import { charger } from "../devices/charger.ts";
import { gate } from "../devices/gate.ts";
import type { SimMessage } from "../devices/types.ts";
import { seededRandom } from "../gateway/simulate/fleet.ts";

const [url, site, kind, totalArg, markersArg] = process.argv.slice(2);
if (!url || !site || (kind !== "gate" && kind !== "charger") || !totalArg || !markersArg) throw new Error("usage: url site gate|charger total markers");
const total = Number(totalArg);
const markerEvery = Math.max(1, Math.floor(total / Number(markersArg)));
const channel = kind === "gate" ? "event" : "telemetry";
const DEVICES = 4;

/** One device's canonical message: the simulator ticked (a simulated hour at most) until it sends one on `channel`. */
function template(index: number): { deviceId: string; payload: Record<string, unknown> } {
  const random = seededRandom(index + 1);
  const device = (kind === "gate" ? gate : charger).simulator!.create(index, { random });
  // 19:00 local-ish: gates are busy and chargers have ports charging, so no field is trivially zero
  const evening = Date.UTC(2026, 0, 5, 11);
  for (let t = evening; t < evening + 3_600_000; t += 1_000) {
    const m = device.tick(t).find((x: SimMessage) => x.channel === channel);
    if (m) return { deviceId: device.deviceId, payload: m.payload as Record<string, unknown> };
  }
  throw new Error(`the ${kind} simulator sent no ${channel} in an hour`);
}
const templates = Array.from({ length: DEVICES }, (_, i) => template(i));

// ts: one ms apart per message, all in the recent past, so no two points share a series and a
// timestamp (the database would keep one of them) and no ts is past ingest.maxClockSkewMs
const t0 = Date.now() - total - 1_000;
function message(i: number): { topic: string; body: string; marker: boolean } {
  const marker = i % markerEvery === markerEvery - 1;
  const t = templates[i % DEVICES]!;
  const deviceId = marker ? "bench-marker" : t.deviceId;
  const payload = kind === "gate" ? { ...t.payload, ts: t0 + i, eventId: `${deviceId}-b${i}` } : { ...t.payload, ts: t0 + i };
  return { topic: `linli/${site}/${kind}/${deviceId}/${channel}`, body: JSON.stringify(payload), marker };
}

const clients = await Promise.all(Array.from({ length: DEVICES }, (_, i) => connectAsync(url, { clientId: `bench-load-${kind}-${i}`, reconnectPeriod: 0 })));
let next = 0;
let acked = 0;
let inflight = 0;
let markers = 0;
process.stdout.write(`S ${Date.now()}\n`);
await new Promise<void>((done) => {
  const pump = () => {
    while (inflight < 1000 && next < total) {
      const i = next++;
      const m = message(i);
      inflight++;
      if (m.marker) process.stdout.write(`M ${markers++} ${Date.now()}\n`);
      clients[i % DEVICES]!.publish(m.topic, m.body, { qos: 1 }, () => {
        inflight--;
        if (++acked === total) done();
        else pump();
      });
    }
  };
  pump();
});
await Promise.all(clients.map((c) => c.endAsync()));
