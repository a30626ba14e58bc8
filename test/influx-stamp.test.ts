import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Spool } from "../gateway/influx/spool.ts";
import { V1Sink } from "../gateway/influx/v1-sink.ts";
import { V2Sink } from "../gateway/influx/v2-sink.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { startFaultProxy } from "./services/fault-proxy.ts";
import { startTestGateway } from "./services/gateway.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";
import { startVictoria, type Victoria } from "./services/victoria.ts";
import { gatePassPoint, startTestWriter } from "./services/writer.ts";

let influx: Influxd;
let vm: Victoria;
let n = 0;

beforeAll(async () => {
  [influx, vm] = await Promise.all([startInfluxd(), startVictoria()]);
});
afterAll(async () => {
  await Promise.all([influx?.stop(), vm?.stop()]);
});

/** The gate passes of one gate, with their times in nanoseconds. */
async function passesOf(database: string, gate: string): Promise<Array<{ ns: string; eventId: string }>> {
  const q = `SELECT event_id FROM gate_pass WHERE gate = '${gate}'`;
  const res = await fetch(`${influx.url}/query?db=${database}&epoch=ns&q=${encodeURIComponent(q)}`);
  // nanosecond epochs are past 2^53: read them as digits, not as JSON numbers
  const text = (await res.text()).replace(/\[(\d{16,})/g, '["$1"');
  const body = JSON.parse(text) as { results: Array<{ series?: Array<{ values: Array<[string, string]> }> }> };
  return (body.results[0]?.series?.[0]?.values ?? []).map(([ns, eventId]) => ({ ns, eventId }));
}

/** Writes points through a fresh writer (a fresh gateway process, as far as stamping goes) and waits until they are sent. */
async function writeOnce(sink: V1Sink | V2Sink, points: ReturnType<typeof gatePassPoint>[]): Promise<void> {
  const tw = await startTestWriter(sink);
  for (const p of points) tw.writer.write(p);
  tw.writer.flush();
  await waitFor("the points sent", () => tw.spool.size.points === 0 && tw.metrics.totals.pointsWritten >= points.length);
  await tw.stop();
}

const TS = Date.now() - 60_000;

describe("no silent overwrites: one point per accepted event", () => {
  it("stores three passes a gate sends in one millisecond as three points, through the gateway", async () => {
    const database = `stamp_${++n}`;
    // the same salt for both gateways: the plate hash, a field, must be the same for a resend
    const config = { influx: { url: influx.url, database }, privacy: { salt: "stamp-test" } };
    const send = async () => {
      const gw = await startTestGateway(config);
      const device = await gw.client();
      for (const i of [1, 2, 3]) {
        const pass = { ts: TS, eventId: `g-${i}`, method: "plate", direction: "in", granted: true, plate: "沪A12345", plateColor: "blue", confidence: 0.97 };
        await device.publishAsync("linli/demo/gate/gate-car-1/event", JSON.stringify(pass), { qos: 1 });
      }
      await waitFor("the passes written", () => gw.gateway.metrics.totals.pointsWritten >= 3);
      await gw.stop();
    };
    await send();
    const first = await passesOf(database, "gate-car-1");
    console.log(`three passes of gate-car-1 at ${TS} ms: ${first.map((p) => `${p.eventId}@${p.ns}`).join(", ")}`);
    expect(first.map((p) => p.eventId).sort()).toEqual(["g-1", "g-2", "g-3"]);
    // a new gateway (its duplicate memory empty) gets all three again from the gate: still three
    await send();
    expect(await passesOf(database, "gate-car-1")).toEqual(first);
  });

  it("keeps three passes of one gate in one millisecond as three points, and a resend as the same three", async () => {
    const database = `stamp_${++n}`;
    const sink = new V1Sink({ url: influx.url, database, timeoutMs: 5_000 }, allMeasurements);
    const three = [1, 2, 3].map((i) => gatePassPoint(i, TS, 1));
    await writeOnce(sink, three);
    const first = await passesOf(database, "gate-1");
    console.log(`three passes at ${TS} ms: ${first.map((p) => `${p.eventId}@${p.ns}`).join(", ")}`);
    expect(first.map((p) => p.eventId).sort()).toEqual(["e-1", "e-2", "e-3"]);
    for (const p of first) expect(p.ns.slice(0, -6)).toBe(String(TS));

    // the gateway restarted and the gate resent all three (its dedup memory is gone): still three
    await writeOnce(sink, [...three].reverse());
    const again = await passesOf(database, "gate-1");
    expect(again).toEqual(first);
  });

  it("keeps 5,000 passes of one gate in one millisecond apart, moving the offsets that collide", async () => {
    const database = `stamp_${++n}`;
    const sink = new V1Sink({ url: influx.url, database, timeoutMs: 10_000 }, allMeasurements);
    // 5,000 hashes into a million slots collide about 12 times: without moving them, ~12 points would go
    const total = 5_000;
    await writeOnce(
      sink,
      Array.from({ length: total }, (_, i) => gatePassPoint(i, TS + 1, 4)),
    );
    const kept = await influx.query(database, "SELECT count(event_id) FROM gate_pass WHERE gate = 'gate-4'");
    const spread = await influx.query(database, "SELECT count(event_id) FROM gate_pass WHERE gate = 'gate-4' GROUP BY time(1ms)");
    console.log(`${total} passes in one millisecond: ${String(kept[0]?.values[0]?.[1])} points, in ${spread[0]?.values.filter((v) => Number(v[1]) > 0).length} millisecond(s)`);
    expect(Number(kept[0]?.values[0]?.[1])).toBe(total);
  });

  it("replays a point spooled before the offset existed onto the point it already wrote", async () => {
    const database = `stamp_${++n}`;
    const sink = new V1Sink({ url: influx.url, database, timeoutMs: 5_000 }, allMeasurements);
    await sink.ensure();
    // an older gateway wrote the point at millisecond precision, then its spool replays it after an upgrade
    const old = gatePassPoint(7, TS, 2);
    const written = await fetch(`${influx.url}/write?db=${database}&precision=ms`, { method: "POST", body: `gate_pass,direction=in,gate=gate-2,granted=true,method=plate,site=demo confidence=0.9,count=1i,event_id="e-7",subject="s-7" ${TS}` });
    expect(written.status).toBe(204);
    const dir = tempDir("old-spool");
    const spool = new Spool(join(dir, "spool.db"), { maxBytes: 1 << 20, whenFull: "dropOldest", sync: "normal" });
    spool.append([old]);
    spool.close();
    const tw = await startTestWriter(sink, {}, dir);
    await waitFor("the old spool replayed", () => tw.spool.size.points === 0 && tw.metrics.totals.pointsWritten === 1);
    await tw.stop();
    expect(await passesOf(database, "gate-2")).toEqual([{ ns: `${TS}000000`, eventId: "e-7" }]);
  });

  it("sends the same at nanosecond precision on the 2.x path (VictoriaMetrics)", async () => {
    const proxy = await startFaultProxy(vm.url);
    try {
      const sink = new V2Sink({ url: proxy.url, org: "linli", bucket: "linli", token: "unused", timeoutMs: 5_000 }, allMeasurements);
      const three = [1, 2, 3].map((i) => gatePassPoint(i, TS, 3, { confidence: i / 10 }));
      await writeOnce(sink, three);
      await writeOnce(sink, three);
      const [first, replay] = proxy.writes;
      expect(proxy.writes).toHaveLength(2);
      expect(first?.path).toBe("/api/v2/write");
      const stamps = (first?.body ?? "").split("\n").map((l) => l.split(" ").at(-1) as string);
      console.log(`2.x write: ${stamps.join(", ")}`);
      expect(new Set(stamps).size).toBe(3);
      for (const s of stamps) expect(s.slice(0, -6)).toBe(String(TS));
      // a resend is the very same lines, which InfluxDB 2.x, like 1.x, stores as the same points
      expect(replay?.body).toBe(first?.body);
      // VictoriaMetrics keeps milliseconds and every sample it is sent: three per write, none lost
      let series: Awaited<ReturnType<Victoria["export"]>> = [];
      await waitFor("the passes in VictoriaMetrics", async () => {
        series = await vm.export('{__name__="gate_pass_confidence",gate="gate-3"}');
        return (series[0]?.values.length ?? 0) === 6;
      });
      expect(series[0]?.timestamps).toEqual(Array(6).fill(TS));
      expect([...(series[0]?.values ?? [])].sort()).toEqual([0.1, 0.1, 0.2, 0.2, 0.3, 0.3]);
    } finally {
      await proxy.stop();
    }
  });
});
