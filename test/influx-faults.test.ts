import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { V1Sink } from "../gateway/influx/v1-sink.ts";
import { V2Sink } from "../gateway/influx/v2-sink.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { startFaultProxy, type FaultProxy } from "./services/fault-proxy.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { waitFor } from "./services/ports.ts";
import { startVictoria } from "./services/victoria.ts";
import { gatePassPoint, startTestWriter, type TestWriter } from "./services/writer.ts";

// One real influxd 1.6.7 for the file, a database per test, a fault-injecting proxy in front.
let influx: Influxd;
let database = "";
let proxy: FaultProxy | undefined;
let tw: TestWriter | undefined;
let n = 0;

beforeAll(async () => {
  influx = await startInfluxd();
});
afterAll(async () => {
  await influx?.stop();
});
afterEach(async () => {
  await tw?.stop(200);
  await proxy?.stop();
  tw = proxy = undefined;
});

const TIMEOUT_MS = 1_000;

async function setup(options: Parameters<typeof startTestWriter>[1] = {}): Promise<{ proxy: FaultProxy; tw: TestWriter }> {
  database = `faults_${++n}`;
  proxy = await startFaultProxy(influx.url);
  tw = await startTestWriter(new V1Sink({ url: proxy.url, database, timeoutMs: TIMEOUT_MS }, allMeasurements), options);
  return { proxy, tw };
}

/** How many gate passes InfluxDB holds, and how many distinct event ids among them. */
async function passes(): Promise<{ points: number; distinct: number }> {
  const all = await influx.query(database, "SELECT count(event_id) FROM gate_pass");
  const distinct = await influx.query(database, "SELECT count(distinct(event_id)) FROM gate_pass");
  return { points: Number(all[0]?.values[0]?.[1] ?? 0), distinct: Number(distinct[0]?.values[0]?.[1] ?? 0) };
}

// ten passes per millisecond over five gates: two of one gate in every millisecond
const T0 = Date.now() - 3_600_000;
const at = (i: number) => T0 + Math.floor(i / 10);

describe("InfluxDB misbehaving: every good point lands once", () => {
  it("retries through a hang, a 500, a 503 and an answer slower than the timeout", async () => {
    const { proxy, tw } = await setup();
    // the slow answer comes after InfluxDB stored the batch: the retry writes it again, harmlessly
    proxy.next({ kind: "hang" }, { kind: "status", status: 500 }, { kind: "status", status: 503 }, { kind: "slow", delayMs: TIMEOUT_MS * 2 });
    const total = 1_000;
    for (let i = 0; i < total; i++) tw.writer.write(gatePassPoint(i, at(i)));
    let got = { points: 0, distinct: 0 };
    await waitFor("every pass in InfluxDB", async () => (got = await passes()).points >= total && tw.spool.size.points === 0, 30_000);
    const faults = proxy.writes.filter((w) => w.fault !== "none").map((w) => w.fault);
    console.log(`faults injected: ${faults.join(", ")}; write requests: ${proxy.writes.length}; points in InfluxDB: ${got.points} (${got.distinct} distinct event ids); failures counted: ${tw.metrics.totals.writeErrors}`);
    expect(faults).toEqual(["hang", "status", "status", "slow"]);
    expect(got).toEqual({ points: total, distinct: total });
    expect(tw.metrics.totals.pointsWritten).toBeGreaterThanOrEqual(total);
    expect(tw.metrics.totals.writeErrors).toBe(4);
    expect(tw.metrics.refusedByReason.size).toBe(0);
    const warned = tw.logs.filter((l) => l.msg.startsWith("InfluxDB write failed")).map((l) => String(l.err));
    expect(warned.some((e) => e.includes(`no answer within ${TIMEOUT_MS} ms`))).toBe(true);
    expect(warned.some((e) => e.includes("HTTP 503"))).toBe(true);
  });

  it("waits as long as a 503's Retry-After asks, in seconds or as a date", async () => {
    const { proxy, tw } = await setup({ minDelayMs: 50, maxDelayMs: 10_000 });
    proxy.next({ kind: "status", status: 503, retryAfter: "2" }, { kind: "status", status: 503, retryAfter: new Date(Date.now() + 5_000).toUTCString() });
    for (let i = 0; i < 10; i++) tw.writer.write(gatePassPoint(i, at(i)));
    await waitFor("the passes in InfluxDB", async () => (await passes()).points === 10, 20_000);
    const [first, second, third] = proxy.writes.map((w) => w.at) as [number, number, number];
    console.log(`retry after "Retry-After: 2": ${second - first} ms; after an HTTP date 5 s after the first: ${third - second} ms (backoff alone: 50 ms, then 100 ms)`);
    expect(second - first).toBeGreaterThanOrEqual(1_900);
    // the date has whole seconds: 4 to 5 s after it was written, so 2 to 3 s after the second 503
    expect(third - second).toBeGreaterThanOrEqual(1_500);
    expect(third - second).toBeLessThan(3_500);
  });

  it("isolates a partial write: the good points land, the conflicting ones are counted with their reason", async () => {
    const { proxy, tw } = await setup({ batchSize: 500 });
    // someone wrote plate_color as an integer into this shard: every pass carrying it now conflicts
    const seed = await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${database}`)}`, { method: "POST" });
    expect(seed.ok).toBe(true);
    const conflict = await fetch(`${influx.url}/write?db=${database}&precision=ms`, { method: "POST", body: `gate_pass,site=demo,gate=gate-9 plate_color=1i ${T0}` });
    expect(conflict.status).toBe(204);

    const total = 1_000;
    const colored = (i: number) => i % 7 === 3;
    for (let i = 0; i < total; i++) tw.writer.write(gatePassPoint(i, at(i), i % 5, colored(i) ? { plate_color: "blue" } : {}));
    const bad = Array.from({ length: total }, (_, i) => i).filter(colored).length;
    await waitFor("the batches settled", () => tw.spool.size.points === 0 && tw.metrics.totals.pointsWritten + (tw.metrics.refusedByReason.get("field_type_conflict") ?? 0) >= total, 30_000);
    const got = await passes();
    const refused = tw.logs.filter((l) => l.msg.startsWith("InfluxDB refused points"));
    console.log(
      `${total} passes, ${bad} with the conflicting field: ${got.points} in InfluxDB, ${tw.metrics.refusedByReason.get("field_type_conflict")} refused (field_type_conflict), in ${proxy.writes.length} write requests for ${total / 500} batches; log: ${refused.map((l) => `${String(l.measurement)}.${String(l.field)} x${String(l.points)}`).join(", ")}`,
    );
    expect(got).toEqual({ points: total - bad, distinct: total - bad });
    expect(tw.metrics.totals.pointsWritten).toBe(total - bad);
    expect(Object.fromEntries(tw.metrics.refusedByReason)).toEqual({ field_type_conflict: bad });
    expect(refused.length).toBeGreaterThan(0);
    for (const l of refused) expect(l).toMatchObject({ reason: "field_type_conflict", measurement: "gate_pass", field: "plate_color" });
    expect(refused.reduce((s, l) => s + Number(l.points), 0)).toBe(bad);
    // no good pass was retried into a later batch: each batch settled in a handful of requests
    expect(proxy.writes.length).toBeLessThanOrEqual((total / 500) * 4);
    const text = await tw.metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`linli_points_refused_total\\{reason="field_type_conflict",site="demo"\\} ${bad}`));
  });

  it("finds single unparsable points by halving the batch", async () => {
    const { proxy, tw } = await setup({ batchSize: 64 });
    // past the end of InfluxDB's time range (2262): the server refuses the point as unparsable
    const total = 64;
    const broken = new Set([5, 40]);
    for (let i = 0; i < total; i++) tw.writer.write(gatePassPoint(i, broken.has(i) ? 9_300_000_000_000 : at(i)));
    await waitFor("the batch settled", () => tw.spool.size.points === 0 && tw.metrics.totals.pointsWritten + tw.metrics.totals.writeErrors >= total, 20_000);
    const got = await passes();
    console.log(`${total} passes, 2 out of range: ${got.points} in InfluxDB, refused ${JSON.stringify(Object.fromEntries(tw.metrics.refusedByReason))}, ${proxy.writes.length} write requests`);
    expect(got.points).toBe(total - 2);
    expect(Object.fromEntries(tw.metrics.refusedByReason)).toEqual({ unparsable: 2 });
    // halving finds 2 of 64 in at most 2 * log2(64) * 2 requests, not 64
    expect(proxy.writes.length).toBeLessThanOrEqual(1 + 2 * 2 * 6);
  });

  it("takes points at full speed while InfluxDB answers slowly; the spool absorbs them", async () => {
    const { proxy, tw } = await setup({ batchSize: 200 });
    proxy.always({ kind: "slow", delayMs: 800 });
    // bursts with the event loop free in between, so the drain runs (slowly) beside ingest
    const total = 20_000;
    const burst = 500;
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const t = performance.now();
      tw.writer.write(gatePassPoint(i, at(i)));
      slowest = Math.max(slowest, performance.now() - t);
      if (i % burst === burst - 1) await new Promise((r) => setTimeout(r, 25));
    }
    const took = performance.now() - started;
    tw.writer.flush();
    const spooled = tw.spool.size.points;
    const sent = proxy.writes.length;
    console.log(`${total} writes in ${took.toFixed(0)} ms against an InfluxDB answering in 800 ms (slowest write() ${slowest.toFixed(1)} ms); ${sent} requests sent meanwhile, ${spooled} points waiting in the spool`);
    expect(took).toBeLessThan((total / burst) * 25 + 3_000);
    // a write that waited for InfluxDB would take its 800 ms at least
    expect(slowest).toBeLessThan(400);
    expect(sent).toBeGreaterThan(0);
    expect(spooled).toBeGreaterThan(total / 2);
    proxy.always(undefined);
    await waitFor("every pass in InfluxDB", async () => (await passes()).points === total && tw.spool.size.points === 0, 60_000);
  });
});

describe("the 2.x client through the same faults (VictoriaMetrics behind the proxy)", () => {
  it("retries a hang, a 500 and a 503 with Retry-After, and isolates a 422 partial write", async () => {
    const vm = await startVictoria();
    try {
      const fp = await startFaultProxy(vm.url);
      const writer = await startTestWriter(new V2Sink({ url: fp.url, org: "linli", bucket: "linli", token: "unused", timeoutMs: TIMEOUT_MS }, allMeasurements), { batchSize: 50, maxDelayMs: 5_000 });
      [proxy, tw] = [fp, writer];
      // what InfluxDB 2.x answers for a field type conflict; VictoriaMetrics itself never refuses a point
      const partial = JSON.stringify({ code: "unprocessable entity", message: 'failure writing points to database: partial write: field type conflict: input field "plate_color" on measurement "gate_pass" is type string, already exists as type integer dropped=1' });
      fp.next({ kind: "hang" }, { kind: "status", status: 500 }, { kind: "status", status: 503, retryAfter: "1" }, { kind: "status", status: 422, body: partial });
      const total = 50;
      for (let i = 0; i < total; i++) writer.writer.write(gatePassPoint(i, at(i), 0, { confidence: i / 100 }));
      // the 422 came for the whole batch: its halves pass, so every point lands and none is refused
      let samples = 0;
      await waitFor("every pass in VictoriaMetrics", async () => {
        const series = await vm.export('{__name__="gate_pass_confidence"}');
        samples = series.reduce((s, x) => s + x.values.length, 0);
        return samples >= total && writer.spool.size.points === 0;
      }, 20_000);
      const w = fp.writes;
      console.log(`2.x: ${w.map((x) => `${x.fault}${x.status ? `:${x.status}` : ""}`).join(", ")}; 503 -> next try ${(w[3]?.at ?? 0) - (w[2]?.at ?? 0)} ms; ${samples} samples`);
      expect(samples).toBe(total);
      expect(w.slice(0, 4).map((x) => x.fault)).toEqual(["hang", "status", "status", "status"]);
      expect((w[3]?.at ?? 0) - (w[2]?.at ?? 0)).toBeGreaterThanOrEqual(900);
      expect(writer.logs.some((l) => String(l.err).includes(`no answer within ${TIMEOUT_MS} ms`))).toBe(true);
      expect(writer.metrics.totals.pointsWritten).toBe(total);
    } finally {
      // the writer and the proxy go in afterEach
      await vm.stop();
    }
  });
});
