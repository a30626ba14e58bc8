import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerDeviceCommands } from "../gateway/security/cli.ts";
import { sealCommand } from "../gateway/security/envelope.ts";
import { startMosquitto, type Mosquitto } from "./services/mosquitto.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";
import { connectAs, grants } from "./security-fixtures.ts";

const SITE = "acl";

/** Runs `linli devices ...` in-process; returns what it printed. */
async function linliDevices(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  try {
    const program = new Command("linli").exitOverride();
    registerDeviceCommands(program);
    await program.parseAsync(["devices", ...args], { from: "user" });
  } finally {
    spy.mockRestore();
  }
  return out.join("\n");
}

interface Attempt {
  who: string;
  topic: string;
  payload: () => string;
}

const state = () => JSON.stringify({ ts: Date.now(), floor: 1, door: "open", moving: false, direction: "none", mode: "normal", loadPct: 1 });
const command = () => JSON.stringify(sealCommand({ action: "release", by: "alice" }));

/** Where each identity may publish: the attempts, and a marker each may always send after one. */
const attempts: Attempt[] = [
  { who: "lift-01", topic: `linli/${SITE}/lift/lift-01/state`, payload: state },
  { who: "lift-01", topic: `linli/${SITE}/lift/lift-02/state`, payload: state },
  { who: "lift-01", topic: `linli/${SITE}/lift/lift-01/cmd`, payload: command },
  { who: "lift-01", topic: `linli/${SITE}/lift/lift-01/guard/set`, payload: command },
  { who: "lift-01", topic: `linli/${SITE}/alerts/fake`, payload: state },
  { who: "lift-01", topic: `linli/${SITE}/gateway/status`, payload: () => "online" },
  { who: "lift-01", topic: `linli/${SITE}/charger/lift-01/telemetry`, payload: state },
  { who: "charger-01", topic: `linli/${SITE}/charger/charger-01/telemetry`, payload: state },
  { who: "charger-01", topic: `linli/${SITE}/lift/lift-01/frame`, payload: state },
  { who: "alice", topic: `linli/${SITE}/lift/L3/guard/set`, payload: command },
  { who: "alice", topic: `linli/${SITE}/charger/charger-01/cmd`, payload: command },
  { who: "alice", topic: `linli/${SITE}/alerts/a-1`, payload: state },
  { who: "alice", topic: `linli/${SITE}/lift/lift-01/state`, payload: state },
  { who: "alice", topic: `linli/${SITE}/gateway/status`, payload: () => "online" },
];
const marker: Record<string, string> = { "lift-01": `linli/${SITE}/lift/lift-01/state`, "charger-01": `linli/${SITE}/charger/charger-01/session`, alice: `linli/${SITE}/staff/alice/mark` };

/** Who subscribes to what, and a topic the gateway account then publishes that the filter matches. */
const reads: [string, string, string][] = [
  ["lift-01", `linli/${SITE}/lift/lift-01/cmd`, `linli/${SITE}/lift/lift-01/cmd`],
  ["lift-01", `linli/${SITE}/lift/lift-02/cmd`, `linli/${SITE}/lift/lift-02/cmd`],
  ["lift-01", `linli/${SITE}/lift/lift-02/state`, `linli/${SITE}/lift/lift-02/state`],
  ["lift-01", `linli/${SITE}/#`, `linli/${SITE}/charger/charger-01/telemetry`],
  ["lift-01", `linli/${SITE}/+/+/cmd`, `linli/${SITE}/lift/lift-02/cmd`],
  ["alice", `linli/${SITE}/#`, `linli/${SITE}/lift/lift-02/state`],
  ["alice", `linli/${SITE}/lift/+/cmd`, `linli/${SITE}/lift/lift-02/cmd`],
];
/** A topic each reader may always read, for the marker sent after each probe. */
const readMarker: Record<string, string> = { "lift-01": `linli/${SITE}/lift/lift-01/cmd`, alice: `linli/${SITE}/staff/alice/mark` };

/** Publishes each attempt on a fresh connection, then a marker; returns which attempts the watcher saw. */
async function publishOutcomes(url: string, secrets: Record<string, string>): Promise<boolean[]> {
  const watcher = await connectAs(url, "gw", secrets.gw, { clientId: "gw-watch" });
  const seen: string[] = [];
  watcher.on("message", (_t, payload) => seen.push(payload.toString()));
  await watcher.subscribeAsync(`linli/${SITE}/#`, { qos: 1 });
  const results: boolean[] = [];
  for (const [i, a] of attempts.entries()) {
    const tag = `attempt-${i}-${Date.now()}`;
    const payload = a.payload();
    const body = payload.startsWith("{") ? JSON.stringify({ ...JSON.parse(payload), tag }) : `${payload}-${tag}`;
    const c = await connectAs(url, a.who, secrets[a.who], { clientId: a.who === "alice" ? "alice-1" : a.who });
    c.publish(a.topic, body, { qos: 1 });
    // the broker either dropped the connection (embedded: refused before publishing) or the marker, sent after, arrives
    c.publish(marker[a.who]!, `marker-${tag}`, { qos: 1 });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => seen.includes(`marker-${tag}`) && done(), 10);
      const done = () => {
        clearInterval(poll);
        resolve();
      };
      c.once("close", done);
    });
    results.push(seen.some((s) => s.includes(tag) && !s.startsWith("marker-")));
    c.end(true);
  }
  await watcher.endAsync();
  return results;
}

/**
 * For each reader and filter: subscribe (the grant may differ: Mosquitto 2.0 grants and filters on
 * delivery, aedes refuses in the SUBACK), then the gateway account publishes a matching topic and
 * then a marker the reader may read; returns whether the probe reached the reader before the marker.
 */
async function readOutcomes(url: string, secrets: Record<string, string>): Promise<boolean[]> {
  const gw = await connectAs(url, "gw", secrets.gw, { clientId: "gw-pub" });
  const out: boolean[] = [];
  for (const [i, [who, filter, topic]] of reads.entries()) {
    const tag = `read-${i}-${Date.now()}`;
    const c: MqttClient = await connectAs(url, who, secrets[who], { clientId: who === "alice" ? "alice-2" : who });
    const seen: string[] = [];
    c.on("message", (_t, payload) => seen.push(payload.toString()));
    await grants(c, filter === readMarker[who] ? [filter] : [filter, readMarker[who]!]);
    await gw.publishAsync(topic, `probe-${tag}`, { qos: 1 });
    await gw.publishAsync(readMarker[who]!, `marker-${tag}`, { qos: 1 });
    await waitFor(`marker ${tag}`, () => seen.includes(`marker-${tag}`), 15_000, 10);
    out.push(seen.includes(`probe-${tag}`));
    await c.endAsync();
  }
  await gw.endAsync();
  return out;
}

describe("linli devices export-acl: the same policy on a real Mosquitto", () => {
  let dir: string;
  let registry: string;
  let mosquitto: Mosquitto;
  let gateway: TestGateway;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    dir = tempDir("security-acl");
    registry = join(dir, "devices.yaml");
    const config = join(dir, "linli.yaml");
    writeFileSync(config, `site: ${SITE}\ndataDir: ${join(dir, "data")}\n`);
    for (const args of [
      ["lift-01", "--kind", "lift"],
      ["lift-02", "--kind", "lift"],
      ["charger-01", "--kind", "charger"],
      ["alice", "--role", "staff"],
      ["gw", "--role", "gateway"],
      ["cam-09", "--kind", "throw", "--fingerprint", "aa".repeat(32), "--no-password"],
    ]) {
      const out = await linliDevices(["add", ...args, "--config", config, "--registry", registry]);
      const secret = /secret \(shown once, store it now\): (\S+)/.exec(out)?.[1];
      if (secret) secrets[args[0]!] = secret;
    }
    const exported = await linliDevices(["export-acl", "--registry", registry, "--out-dir", dir]);
    expect(exported).toMatch(/no password for \(certificate only\): cam-09/);
    // mosquitto (started as root) drops to its own user before it reads these: hand them over
    chmodSync(dir, 0o755);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync("id", ["-u", "mosquitto"]).toString());
      const gid = Number(execFileSync("id", ["-g", "mosquitto"]).toString());
      for (const f of ["linli.passwd", "linli.acl"]) chownSync(join(dir, f), uid, gid);
    }
    mosquitto = await startMosquitto([`password_file ${join(dir, "linli.passwd")}`, `acl_file ${join(dir, "linli.acl")}`, "allow_anonymous false"]);
    gateway = await startTestGateway({ site: SITE, influx: { enabled: false }, security: { registry, authFailures: { freeAttempts: 100 } } });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await mosquitto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("devices add prints the secret once and stores only hashes; list shows no secrets", async () => {
    expect(Object.keys(secrets).sort()).toEqual(["alice", "charger-01", "gw", "lift-01", "lift-02"]);
    const list = await linliDevices(["list", "--registry", registry]);
    expect(list).toMatch(/lift-01\s+lift\s+acl\s+password/);
    expect(list).toMatch(/cam-09\s+throw\s+acl\s+cert aaaa/);
    const file = readFileSync(registry, "utf8");
    for (const s of Object.values(secrets)) {
      expect(file).not.toContain(s);
      expect(list).not.toContain(s);
    }
    await expect(linliDevices(["add", "lift-01", "--kind", "lift", "--site", SITE, "--registry", registry])).rejects.toThrow(/already/);
    // each addition is audited, with who ran it
    const audit = readFileSync(join(dir, "data/audit/security.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(audit.map((a) => a.topic)).toEqual(["lift-01", "lift-02", "charger-01", "alice", "gw", "cam-09"]);
    expect(audit[0]).toMatchObject({ action: "devices add", outcome: "accepted", who: expect.stringMatching(/^cli/) });
  });

  it("logins: the exported password file takes the secrets and refuses the rest", async () => {
    for (const url of [mosquitto.url, gateway.brokerUrl]) {
      const ok = await connectAs(url, "lift-01", secrets["lift-01"]);
      await ok.endAsync();
      await expect(connectAs(url, "lift-01", "wrong"), url).rejects.toThrow();
      await expect(connectAs(url, "nobody", "x"), url).rejects.toThrow();
      await expect(connectAs(url, "lift-01", undefined, { username: undefined as never }), url).rejects.toThrow();
      await expect(connectAs(url, "cam-09", "anything"), url).rejects.toThrow();
    }
  });

  it("publishes: Mosquitto with the exported ACL lets through exactly what the embedded broker does", async () => {
    const expected = [true, false, false, false, false, false, false, true, false, true, true, true, false, false];
    const embedded = await publishOutcomes(gateway.brokerUrl, secrets);
    const external = await publishOutcomes(mosquitto.url, secrets);
    expect(embedded).toEqual(expected);
    expect(external).toEqual(expected);
  });

  it("reads: a device gets its own commands and nothing else, staff read the site, on both", async () => {
    const expected = [true, false, false, false, false, true, true];
    expect(await readOutcomes(gateway.brokerUrl, secrets)).toEqual(expected);
    expect(await readOutcomes(mosquitto.url, secrets)).toEqual(expected);
  });
});
