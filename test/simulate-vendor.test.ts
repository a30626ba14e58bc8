import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir, type Running } from "./services/process.ts";

let influx: Influxd;
let demo: Running;
let dir: string;
let http: string;

beforeAll(async () => {
  influx = await startInfluxd();
  dir = tempDir("demo-vendor");
  const config = join(dir, "linli.yaml");
  const httpPort = await freePort();
  http = `http://127.0.0.1:${httpPort}`;
  writeFileSync(config, [`dataDir: ${dir}`, "logLevel: warn", `broker: { port: ${await freePort()} }`, `http: { port: ${httpPort} }`, `influx: { url: "${influx.url}", flushIntervalMs: 200 }`].join("\n"));
  // the demo with its gates and throw cameras speaking Hikvision ISAPI and Dahua's event stream, fast
  demo = startProcess(process.execPath, ["bin/linli.js", "demo", "--config", config, "--rate", "30", "--images", "../shared/images", "--devices", "vendor", "--counts", "lift=2,gate=4,charger=2,throw=4"]);
});

afterAll(async () => {
  await demo?.stop("SIGINT");
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A counter or gauge of the gateway's /metrics, summed over the series whose labels include these. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(" ").at(-1));
  }
  return sum;
}

describe("linli demo --devices vendor", () => {
  it("takes plate gates by Hikvision push, walk-through gates and throw cameras by Dahua attach, two lift cameras by RTSP, the rest by MQTT", async () => {
    const fail = (e: Error) => {
      throw new Error(`${e.message}\n${demo.output()}`);
    };
    const rows = async (q: string) => (await influx.query("linli", q))[0]?.values ?? [];
    await waitFor("the demo's banner", () => demo.output().includes("Hikvision pushers"), 60_000).catch(fail);
    // plate passes came as ISAPI pushes
    await waitFor("a pushed plate", async () => (await metric("linli_push_requests_total", { vendor: "hikvision", outcome: "accepted" })) > 0 && (await rows(`SELECT count(*) FROM gate_pass WHERE gate = 'gate-car-1'`)).length > 0, 60_000).catch(fail);
    // face and card passes came on a Dahua event stream the gateway attached to
    await waitFor("a Dahua access pass", async () => (await rows(`SELECT count(*) FROM gate_pass WHERE gate = 'gate-walk-2' AND (method = 'face' OR method = 'card')`)).length > 0, 60_000).catch(fail);
    expect(await metric("linli_dahua_parts_total", { device: "gate-walk-2", outcome: "event" })).toBeGreaterThan(0);
    // every throw camera's stream is attached, and its heartbeats keep it alive in InfluxDB
    // a stream may be between attaches on a busy machine: each is up within its backoff
    for (const cam of ["throw-cam-01", "throw-cam-04"]) await waitFor(`${cam} attached`, async () => (await metric("linli_dahua_up", { device: cam })) === 1, 30_000).catch(fail);
    await waitFor("a throw camera heartbeat", async () => (await rows(`SELECT count(*) FROM device_heartbeat WHERE device = 'throw-cam-01'`)).length > 0, 30_000).catch(fail);
    // lifts and chargers still publish on MQTT, logged in as the demo's simulator account
    await waitFor("MQTT kinds", async () => (await rows(`SELECT count(*) FROM lift_state`)).length > 0 && (await rows(`SELECT count(*) FROM charger_port`)).length > 0, 30_000).catch(fail);
    expect(await metric("linli_push_requests_total", { vendor: "hikvision", outcome: "unauthorized" })).toBe(0);
    // two lift cameras are RTSP streams (GStreamer's RTSP server), read by the gateway's ffmpeg
    expect(demo.output()).toContain("2 lift cameras over RTSP");
    await waitFor("RTSP lift frames", async () => (await metric("linli_camera_frames_total", { lift: "lift-01", outcome: "forwarded" })) > 0 && (await metric("linli_camera_frames_total", { lift: "lift-02", outcome: "forwarded" })) > 0, 30_000).catch(fail);
    expect(demo.child.exitCode).toBeNull();
  }, 120_000);
});
