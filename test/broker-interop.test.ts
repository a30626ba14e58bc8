import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectAsync } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceEvent } from "../devices/types.ts";
import { startMosquitto } from "./services/mosquitto.ts";
import { startTestGateway } from "./services/gateway.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir } from "./services/process.ts";

const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const state = (floor: number) => JSON.stringify({ ts: Date.now(), floor, door: "closed", moving: false, direction: "none", mode: "normal" });

function collect(gw: Awaited<ReturnType<typeof startTestGateway>>): DeviceEvent[] {
  const events: DeviceEvent[] = [];
  gw.gateway.core.bus.on("device.event", (e) => events.push(e));
  return events;
}

describe("brokers", () => {
  it("embedded aedes takes a third-party device: mosquitto_pub", async () => {
    const gw = await startTestGateway({ influx: { enabled: false } });
    cleanups.push(() => gw.stop());
    const events = collect(gw);
    const port = new URL(gw.brokerUrl).port;
    await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "linli/demo/lift/lift-03/state", "-m", state(7)]);
    await waitFor("event from mosquitto_pub", () => events.length === 1);
    expect(events[0]).toMatchObject({ kind: "lift", deviceId: "lift-03", data: { floor: 7 } });
  });

  it("external Mosquitto: same router, MQTT 5 user properties, retained status", async () => {
    const mosq = await startMosquitto();
    cleanups.push(() => mosq.stop());
    const gw = await startTestGateway({ influx: { enabled: false }, broker: { mode: "external", url: mosq.url } });
    cleanups.push(() => gw.stop());
    const events = collect(gw);

    const jpeg = join(tempDir("frame"), "f.jpg");
    writeFileSync(jpeg, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]));
    cleanups.push(async () => rmSync(jpeg, { force: true }));
    const ts = String(Date.now() - 250);
    await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(mosq.port), "-V", "mqttv5", "-q", "1", "-t", "linli/demo/lift/lift-04/frame", "-f", jpeg, "-D", "publish", "user-property", "ts", ts, "-D", "publish", "user-property", "seq", "17"]);
    await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(mosq.port), "-q", "1", "-t", "linli/demo/lift/lift-04/state", "-m", state(9)]);
    await waitFor("frame and state through Mosquitto", () => events.length === 2);
    expect(events[0]).toMatchObject({ channel: "frame", ts: Number(ts), data: { format: "jpeg", seq: 17 } });
    expect(events[1]).toMatchObject({ channel: "state", data: { floor: 9 } });

    const { stdout } = await run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(mosq.port), "-t", "linli/demo/gateway/status", "-C", "1", "-W", "5"]);
    expect(stdout.trim()).toBe("online");
  });

  it("external broker: the last will says offline when the gateway is killed", async () => {
    const mosq = await startMosquitto();
    cleanups.push(() => mosq.stop());
    const dir = tempDir("gateway-will");
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, "linli.yaml");
    writeFileSync(config, [`dataDir: ${dir}`, "logLevel: warn", `broker: { mode: external, url: "${mosq.url}" }`, `http: { port: ${await freePort()} }`, "influx: { enabled: false }"].join("\n"));
    const child = startProcess(process.execPath, ["bin/linli.js", "start", "--config", config]);
    cleanups.push(() => child.stop());
    const watcher = await connectAsync(mosq.url, { reconnectPeriod: 0 });
    cleanups.push(() => watcher.endAsync(true));
    const statuses: string[] = [];
    watcher.on("message", (_t, p) => statuses.push(p.toString()));
    await watcher.subscribeAsync("linli/demo/gateway/status", { qos: 1 });
    await waitFor("online", () => statuses.at(-1) === "online", 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${child.output()}`);
    });
    await child.stop("SIGKILL");
    await waitFor("offline by last will", () => statuses.at(-1) === "offline");
  });

  it("scales out: gateways in one shared-subscription group split a site's traffic", async () => {
    const mosq = await startMosquitto();
    cleanups.push(() => mosq.stop());
    const a = await startTestGateway({ influx: { enabled: false }, broker: { mode: "external", url: mosq.url, clientId: "gw-a", shareGroup: "linli" } });
    cleanups.push(() => a.stop());
    const b = await startTestGateway({ influx: { enabled: false }, broker: { mode: "external", url: mosq.url, clientId: "gw-b", shareGroup: "linli" } });
    cleanups.push(() => b.stop());
    const device = await connectAsync(mosq.url, { reconnectPeriod: 0 });
    cleanups.push(() => device.endAsync(true));
    const total = 200;
    for (let i = 0; i < total; i++) await device.publishAsync(`linli/demo/lift/lift-${i % 10}/state`, state(i % 30), { qos: 1 });
    const inA = () => a.gateway.metrics.totals.messagesIn;
    const inB = () => b.gateway.metrics.totals.messagesIn;
    await waitFor("all messages taken once", () => inA() + inB() === total);
    expect(inA()).toBeGreaterThan(0);
    expect(inB()).toBeGreaterThan(0);
  });
});
