/**
 * What acknowledgement after durability costs (not a test: it prints figures, it asserts nothing).
 *
 * A gateway in this process, its InfluxDB away so every point stays in the spool, and a publisher in
 * its own process: QoS 1 gate events over 4 connections with 1000 in flight. Timed from the first
 * publish to the last point committed to the spool (with an external broker the publisher's
 * PUBACKs come from the broker, so the spool is the only fair finish line). Printed side by side
 * per broker and `influx.spool.sync`: messages per second, and the ratio to the first row.
 *
 *   npm run bench:ack -- [--messages 40000] [--external]   (--external also runs a Debian mosquitto)
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ConfigInput } from "../gateway/config.ts";
import { startTestGateway } from "../test/services/gateway.ts";
import { freePort, waitFor } from "../test/services/ports.ts";

const { values: args } = parseArgs({ options: { messages: { type: "string", default: "40000" }, external: { type: "boolean", default: false } } });
const MESSAGES = Number(args.messages);

// the publisher: its own process, so its CPU is not the gateway's event loop
const PUBLISHER = `
const { connectAsync } = require("mqtt");
const [url, total] = [process.argv[1], Number(process.argv[2])];
if (!url) throw new Error("usage: url total");
(async () => {
  const clients = await Promise.all([0, 1, 2, 3].map((i) => connectAsync(url, { clientId: "bench-gate-" + i, reconnectPeriod: 0 })));
  let next = 0, acked = 0, inflight = 0;
  await new Promise((done) => {
    const pump = () => {
      while (inflight < 1000 && next < total) {
        const i = next++;
        inflight++;
        const c = clients[i % 4];
        const body = JSON.stringify({ ts: Date.now(), eventId: "e-" + i, method: "card", direction: "in", granted: true, confidence: 0.95, personId: "p-" + (i % 500) });
        c.publish("linli/demo/gate/g-" + (i % 4) + "/event", body, { qos: 1 }, () => { inflight--; if (++acked === total) done(); else pump(); });
      }
    };
    pump();
  });
  await Promise.all(clients.map((c) => c.endAsync()));
})();
`;

function publish(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", PUBLISHER, url, String(MESSAGES)], { cwd: path.resolve(import.meta.dirname, ".."), stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited ${code}`))));
  });
}

async function run(label: string, broker: ConfigInput["broker"], sync: "full" | "normal"): Promise<{ label: string; rate: number }> {
  const dead = await freePort();
  // the tests' gateway: features that judge frames or alert are off, the rest as a site runs them
  const gw = await startTestGateway({ http: { enabled: false }, ...(broker ? { broker } : {}), influx: { url: `http://127.0.0.1:${dead}`, spool: { sync } } });
  const totals = () => gw.gateway.metrics.totals;
  try {
    const t0 = performance.now();
    await publish(gw.brokerUrl);
    await waitFor("every point spooled", () => totals().spoolPoints >= MESSAGES, 120_000, 5).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(totals())}`);
    });
    return { label, rate: MESSAGES / ((performance.now() - t0) / 1000) };
  } finally {
    await gw.stop();
  }
}

const rows: { label: string; rate: number }[] = [];
rows.push(await run("embedded aedes, spool.sync full", {}, "full"));
rows.push(await run("embedded aedes, spool.sync normal", {}, "normal"));
if (args.external) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "linli-bench-mosq-"));
  const mport = await freePort();
  writeFileSync(path.join(dir, "m.conf"), `listener ${mport} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\nmax_inflight_messages 0\n`);
  const mosq = spawn("mosquitto", ["-c", path.join(dir, "m.conf")], { stdio: "ignore" });
  await waitFor("mosquitto", () => {
    try {
      execFileSync("mosquitto_pub", ["-p", String(mport), "-t", "x", "-m", "x"]);
      return true;
    } catch {
      return false;
    }
  });
  const url = `mqtt://127.0.0.1:${mport}`;
  rows.push(await run("external mosquitto, spool.sync full", { mode: "external", url, clientId: "bench-gw" }, "full"));
  rows.push(await run("external mosquitto, spool.sync normal", { mode: "external", url, clientId: "bench-gw" }, "normal"));
  mosq.kill();
  rmSync(dir, { recursive: true, force: true });
}

const base = rows[0]?.rate ?? 1;
console.log(`\n${MESSAGES} QoS 1 gate events, 4 connections, 1000 in flight, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}`);
console.log("| path | msg/s acknowledged | ratio to first row |\n| --- | --- | --- |");
for (const r of rows) console.log(`| ${r.label} | ${Math.round(r.rate)} | ${(r.rate / base).toFixed(2)} |`);
