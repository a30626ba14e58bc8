import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { connectAsync, type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { Alert } from "../gateway/alerts/types.ts";
import { writeRegistry } from "./security-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway } from "./services/gateway.ts";
import { startMosquitto } from "./services/mosquitto.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir } from "./services/process.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T0 = Date.now() - 60_000;
function session(i: number): string {
  return JSON.stringify({ ts: T0 + i, sessionId: `s-${i}`, port: 1 + (i % 10), durationS: 60 + i, energyWh: 100 + i, reason: "full" });
}

async function countSessions(influx: Influxd): Promise<number> {
  const series = await influx.query("linli", "SELECT count(energy_wh) FROM charger_session");
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

/** Publishes at QoS 1; resolves true on the PUBACK, false when the broker drops the connection instead. */
function acknowledged(client: MqttClient, topic: string, payload: string): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => resolve(false);
    client.once("close", onClose);
    client.publish(topic, payload, { qos: 1 }, (err) => {
      client.off("close", onClose);
      resolve(!err);
    });
  });
}

describe("a QoS 1 acknowledgement means the points are on disk", () => {
  it("embedded broker: kill -9 right after the last PUBACK loses none of the acknowledged messages", async () => {
    const dataDir = tempDir("ack-kill");
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const [brokerPort, httpPort, deadInflux] = [await freePort(), await freePort(), await freePort()];
    const config = join(dataDir, "linli.yaml");
    // a minute's flush interval: before acknowledgement waited for the spool, every point acknowledged here sat in memory
    writeFileSync(
      config,
      [
        `dataDir: ${dataDir}`,
        "logLevel: warn",
        `broker: { port: ${brokerPort} }`,
        `http: { port: ${httpPort} }`,
        "detector: { enabled: false }\nlift: { enabled: false }\nalerts: { enabled: false }\nlearning: { enabled: false }",
        `influx: { url: "http://127.0.0.1:${deadInflux}", flushIntervalMs: 60000 }`,
      ].join("\n"),
    );
    const child = startProcess(process.execPath, ["bin/linli.js", "start", "--config", config]);
    cleanups.push(() => child.stop());
    await waitFor("gateway up", async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined))?.ok === true, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${child.output()}`);
    });

    const total = 2_000;
    const devices = await Promise.all([0, 1, 2, 3].map((d) => connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: `charger-${d}`, reconnectPeriod: 0 })));
    for (const d of devices) d.setMaxListeners(0);
    const acks = await Promise.all(Array.from({ length: total }, (_, i) => acknowledged(devices[i % 4] as MqttClient, `linli/demo/charger/c-${i % 4}/session`, session(i))));
    await child.stop("SIGKILL");
    await Promise.all(devices.map((d) => d.endAsync(true)));

    expect(acks.filter(Boolean)).toHaveLength(total);
    const db = new Database(join(dataDir, "spool.db"), { readonly: true });
    const rows = db.prepare("SELECT body FROM batches").all() as { body: string }[];
    const spooled = rows.flatMap((r) => JSON.parse(r.body) as Array<{ measurement: string }>).filter((p) => p.measurement === "charger_session").length;
    db.close();
    console.log(`acknowledged ${total}, in the spool after kill -9: ${spooled}`);
    expect(spooled).toBe(total);
  }, 90_000);

  it("refuseNew: past the spool's bound devices go unacknowledged, staff are told, and the resends land once InfluxDB is back", async () => {
    const influx = await startInfluxd();
    cleanups.push(() => influx.stop());
    await influx.pause();
    const gw = await startTestGateway({ alerts: { enabled: true }, influx: { url: influx.url, batchSize: 20, spool: { maxBytes: 4_096, whenFull: "refuseNew" } } });
    cleanups.push(() => gw.stop());
    const alerts: Alert[] = [];
    gw.gateway.core.bus.on("alert.changed", (c) => void alerts.push(c.alert));

    let device = await gw.client();
    let sent = 0;
    let refused: number | undefined;
    for (; sent < 200 && refused === undefined; sent++) {
      if (!(await acknowledged(device, "linli/demo/charger/c-1/session", session(sent)))) refused = sent;
    }
    expect(refused, "the spool's bound was reached").toBeDefined();
    const health = await fetch(`${gw.httpUrl}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { status: string; backPressure: { reason: string } };
    expect(body).toMatchObject({ status: "backpressure", backPressure: { reason: "spool_full" } });
    expect(gw.gateway.metrics.totals.spoolDropped).toBe(0);
    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/linli_messages_unacknowledged_total\{reason="spool_full"[^}]*\} [1-9]/);
    await waitFor("a back-pressure alert", () => alerts.some((a) => a.type === "ingest_backpressure" && a.state === "open"));

    await influx.resume();
    await waitFor("the spool drains and takes points again", async () => (await fetch(`${gw.httpUrl}/healthz`)).status === 200, 30_000);
    await waitFor("the alert closes", () => alerts.some((a) => a.type === "ingest_backpressure" && a.state === "resolved"));
    // the device kept the refused message and sends it again, as MQTT devices do on reconnect
    device = await gw.client();
    expect(await acknowledged(device, "linli/demo/charger/c-1/session", session(refused as number))).toBe(true);
    await waitFor("every message in InfluxDB", async () => (await countSessions(influx)) === (refused as number) + 1, 30_000);
  }, 90_000);

  it("HTTP push: 200 only once the points are on disk; 503 with Retry-After while the spool refuses, and the resend is taken", async () => {
    const influx = await startInfluxd();
    cleanups.push(() => influx.stop());
    await influx.pause();
    const dir = mkdtempSync(join(tmpdir(), "linli-ack-push-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const reg = await writeRegistry(dir, "demo", [{ id: "lpr-1", kind: "gate" }]);
    const webhooks = { lpr: { kind: "gate", deviceId: "$.gate", eventId: "$.id", fields: { method: { const: "plate" }, plate: "$.plate", direction: { const: "in" }, granted: { const: true }, confidence: { const: 0.9 } } } };
    const gw = await startTestGateway({ influx: { url: influx.url, spool: { maxBytes: 4_096, whenFull: "refuseNew" } }, security: { registry: reg.path }, push: { enabled: true, webhooks } });
    cleanups.push(() => gw.stop());
    const auth = `Basic ${Buffer.from(`lpr-1:${reg.secrets["lpr-1"]}`).toString("base64")}`;
    const push = (id: string) => fetch(`${gw.httpUrl}/push/webhook/lpr`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify({ gate: "lpr-1", id, plate: "沪A12345" }) });

    let taken = 0;
    let busy: Response | undefined;
    for (; taken < 200; taken++) {
      const res = await push(`p-${taken}`);
      if (res.status !== 200) {
        busy = res;
        break;
      }
    }
    expect(busy?.status).toBe(503);
    expect(busy?.headers.get("retry-after")).toBeTruthy();
    expect(await busy?.json()).toMatchObject({ status: "backpressure" });

    await influx.resume();
    await waitFor("the spool takes points again", async () => (await fetch(`${gw.httpUrl}/healthz`)).status === 200, 30_000);
    const again = await push(`p-${taken}`);
    expect(await again.json()).toMatchObject({ status: "accepted" });
    await waitFor("every pushed event in InfluxDB", async () => {
      const series = await influx.query("linli", "SELECT count(event_id) FROM gate_pass");
      return Number(series[0]?.values[0]?.[1] ?? 0) === taken + 1;
    }, 30_000);
  }, 90_000);

  it("external broker: a persistent session queues the site's messages while the gateway is away", async () => {
    const influx = await startInfluxd();
    cleanups.push(() => influx.stop());
    const mosquitto = await startMosquitto([], { persistence: true });
    cleanups.push(() => mosquitto.stop());
    const dataDir = tempDir("ack-external");
    const settings = { influx: { url: influx.url }, broker: { mode: "external" as const, url: mosquitto.url, clientId: "linli-persist" } };
    let gw = await startTestGateway(settings, dataDir);
    const device = await connectAsync(mosquitto.url, { clientId: "charger-x", reconnectPeriod: 0 });
    cleanups.push(() => device.endAsync(true));
    for (let i = 0; i < 100; i++) await device.publishAsync("linli/demo/charger/c-2/session", session(i), { qos: 1 });
    await waitFor("first 100 in InfluxDB", async () => (await countSessions(influx)) === 100, 20_000);

    await gw.stop(true);
    // the gateway is away: the broker acknowledges the device and keeps the messages for the session
    for (let i = 100; i < 600; i++) await device.publishAsync("linli/demo/charger/c-2/session", session(i), { qos: 1 });
    await mosquitto.restart();
    gw = await startTestGateway(settings, dataDir);
    cleanups.push(() => gw.stop());
    await waitFor("all 600 in InfluxDB", async () => (await countSessions(influx)) === 600, 30_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${await countSessions(influx)} there`);
    });
  }, 90_000);
});
