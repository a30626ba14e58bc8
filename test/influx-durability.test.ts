import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir, type Running } from "./services/process.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function countSessions(influx: Influxd): Promise<number> {
  const series = await influx.query("linli", "SELECT count(energy_wh) FROM charger_session");
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

// One millisecond per session: InfluxDB keeps one point per series and timestamp, so two sessions of
// one port ending in the same millisecond would collapse into one (issue 14 makes them distinct).
const T0 = Date.now() - 60_000;

// the child gateway only carries points here: no model download, no lift controller to dial
const FEATURES_OFF = "detector: { enabled: false }\nlift: { enabled: false }\nalerts: { enabled: false }\nlearning: { enabled: false }";
function session(i: number) {
  return JSON.stringify({ ts: T0 + i, sessionId: `s-${i}`, port: 1 + (i % 10), durationS: 60 + i, energyWh: 100 + i, reason: "full" });
}

describe("InfluxDB outages lose nothing", () => {
  it("spools while InfluxDB is down mid-stream and replays everything when it is back", async () => {
    const influx = await startInfluxd();
    cleanups.push(() => influx.stop());
    const gw: TestGateway = await startTestGateway({ influx: { url: influx.url, batchSize: 50 } });
    cleanups.push(() => gw.stop());
    const device = await gw.client();

    const total = 600;
    for (let i = 0; i < total; i++) {
      if (i === 200) {
        await waitFor("first points written", () => gw.gateway.metrics.totals.pointsWritten > 0);
        await influx.pause();
      }
      await device.publishAsync(`linli/demo/charger/c-${i % 7}/session`, session(i), { qos: 1 });
    }
    await waitFor("points spooled during the outage", () => gw.gateway.metrics.totals.spoolPoints > 0 && gw.gateway.metrics.totals.writeErrors > 0);
    await influx.resume();
    await waitFor("every session in InfluxDB", async () => (await countSessions(influx)) === total, 30_000);
    await waitFor("spool drained", () => gw.gateway.metrics.totals.spoolPoints === 0);
    expect(gw.gateway.metrics.totals.spoolDropped).toBe(0);
  });

  it("delivers a non-empty spool after kill -9 and restart", async () => {
    const dataDir = tempDir("gateway-kill");
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const brokerPort = await freePort();
    const httpPort = await freePort();
    const influxPort = await freePort();
    const config = join(dataDir, "linli.yaml");
    // InfluxDB is not there yet: everything the gateway accepts goes to the spool.
    writeFileSync(
      config,
      [`dataDir: ${dataDir}`, "logLevel: warn", `broker: { port: ${brokerPort} }`, `http: { port: ${httpPort} }`, FEATURES_OFF, `influx: { url: "http://127.0.0.1:${influxPort}", flushIntervalMs: 50, retry: { minDelayMs: 100, maxDelayMs: 500 } }`].join("\n"),
    );
    const start = (): Running => startProcess(process.execPath, ["bin/linli.js", "start", "--config", config]);
    let child = start();
    cleanups.push(() => child.stop());
    const health = async () => (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as { spoolPoints: number; messagesIn: number };
    await waitFor("gateway up", async () => (await health()).messagesIn === 0, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${child.output()}`);
    });

    const device = await connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 0 });
    const total = 300;
    for (let i = 0; i < total; i++) await device.publishAsync(`linli/demo/charger/c-${i % 5}/session`, session(i), { qos: 1 });
    await waitFor("all points spooled", async () => (await health()).spoolPoints === total);
    await device.endAsync(true);
    await child.stop("SIGKILL");

    const influx = await startInfluxd();
    cleanups.push(() => influx.stop());
    writeFileSync(config, [`dataDir: ${dataDir}`, "logLevel: warn", `broker: { port: ${brokerPort} }`, `http: { port: ${httpPort} }`, FEATURES_OFF, `influx: { url: "${influx.url}" }`].join("\n"));
    child = start();
    // a cold start of the child on a machine busy with other suites (training takes both cores) can take a while
    await waitFor("every spooled session in InfluxDB after restart", async () => (await countSessions(influx)) === total, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${child.output()}`);
    });
    await waitFor("spool empty", async () => (await health()).spoolPoints === 0);
  }, 150_000);

  it("drops the oldest points, and counts them, when the spool is full", async () => {
    const deadPort = await freePort();
    const gw = await startTestGateway({ influx: { url: `http://127.0.0.1:${deadPort}`, batchSize: 10, spool: { maxBytes: 20_000 } } });
    cleanups.push(() => gw.stop());
    const device = await gw.client();
    for (let i = 0; i < 400; i++) await device.publishAsync(`linli/demo/charger/c-1/session`, session(i), { qos: 1 });
    await waitFor("drops counted", () => gw.gateway.metrics.totals.spoolDropped > 0);
    await waitFor("all 400 accounted for", () => gw.gateway.metrics.totals.spoolPoints + gw.gateway.metrics.totals.spoolDropped === 400);
    expect(gw.gateway.metrics.totals.spoolBytes).toBeLessThanOrEqual(20_000);
  });
});
