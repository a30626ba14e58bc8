import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir, type Running } from "./services/process.ts";

let influx: Influxd;
let demo: Running;
let dir: string;

beforeAll(async () => {
  influx = await startInfluxd();
  dir = tempDir("demo");
  const config = join(dir, "linli.yaml");
  writeFileSync(config, [`dataDir: ${dir}`, "logLevel: warn", `broker: { port: ${await freePort()} }`, `http: { port: ${await freePort()} }`, `influx: { url: "${influx.url}", flushIntervalMs: 200 }`].join("\n"));
  // The quick start's main job, as `npm run demo` runs it, at ten times real speed.
  demo = startProcess(process.execPath, ["bin/linli.js", "demo", "--config", config, "--rate", "10", "--images", "../shared/images"]);
});

afterAll(async () => {
  await demo?.stop("SIGINT");
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("brings a simulated compound's data of every kind into InfluxDB", async () => {
    const count = async (m: string) => Number((await influx.query("linli", `SELECT count(*) FROM ${m}`))[0]?.values[0]?.[1] ?? 0);
    await waitFor("points of every kind", async () => (await count("lift_state")) > 0 && (await count("charger_port")) >= 300 && (await count("device_heartbeat")) > 0 && (await count("gate_pass")) > 0, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${demo.output()}`);
    });
    const chargers = await influx.query("linli", "SHOW TAG VALUES FROM charger_port WITH KEY = charger");
    expect(chargers[0]?.values).toHaveLength(30);
    const lifts = await influx.query("linli", "SHOW TAG VALUES FROM lift_state WITH KEY = lift");
    expect(lifts[0]?.values).toHaveLength(30);
    expect(demo.child.exitCode).toBeNull();
  });
});
