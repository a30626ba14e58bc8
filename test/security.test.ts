import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { MqttClient } from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedBroker } from "../gateway/broker/embedded.ts";
import { parseConfig } from "../gateway/config.ts";
import { Gateway } from "../gateway/gateway.ts";
import { sealCommand } from "../gateway/security/envelope.ts";
import { DeviceRegistry } from "../gateway/security/registry.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";
import { closed, connectAs, counter, grants, limitHits, writeRegistry } from "./security-fixtures.ts";

const SITE = "sec";
const state = (floor: number) => JSON.stringify({ ts: Date.now(), floor, door: "closed", moving: false, direction: "none", mode: "normal", loadPct: 10 });

describe("embedded broker with a device registry", () => {
  let dir: string;
  let tg: TestGateway;
  let secrets: Record<string, string>;
  let registryPath: string;
  const staffInbox: { topic: string; payload: string }[] = [];

  beforeAll(async () => {
    dir = tempDir("security");
    const reg = await writeRegistry(dir, SITE, [
      { id: "lift-01", kind: "lift" },
      { id: "lift-02", kind: "lift" },
      { id: "charger-01", kind: "charger" },
      { id: "slow-01", kind: "gate" },
      { id: "alice", role: "staff" },
      { id: "gw2", role: "gateway" },
      { id: "other-site-01", kind: "lift", site: "elsewhere" },
    ]);
    secrets = reg.secrets;
    registryPath = reg.path;
    tg = await startTestGateway({
      site: SITE,
      influx: { enabled: false },
      security: { registry: reg.path, limits: { ratePerSec: 20, burst: 20, maxThrottleMs: 1_000, maxConnections: 40, maxPacketBytes: 64 * 1024 }, authFailures: { freeAttempts: 100 } },
    });
    // what the gateway's own staff command handler would see (in-process: trusted, bypasses the hooks)
    await tg.gateway.core.mqtt.subscribe(`linli/${SITE}/lift/+/guard/set`, (m) => staffInbox.push({ topic: m.topic, payload: m.payload.toString() }));
  });

  afterAll(async () => {
    await tg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const registry = () => tg.gateway.metrics.registry;

  it("lets a registered device in with its secret, and ingests what it publishes on its own topics", async () => {
    const before = tg.gateway.metrics.totals.messagesIn;
    const c = await connectAs(tg.brokerUrl, "lift-01", secrets["lift-01"]);
    await c.publishAsync(`linli/${SITE}/lift/lift-01/state`, state(3), { qos: 1 });
    await waitFor("state ingested", () => tg.gateway.metrics.totals.messagesIn === before + 1);
    const granted = await c.subscribeAsync(`linli/${SITE}/lift/lift-01/cmd`, { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await c.endAsync();
  });

  it("refuses anonymous clients, unknown ids, wrong passwords, borrowed client ids and other sites, and counts each", async () => {
    const attempts: [string, () => Promise<MqttClient>][] = [
      ["anonymous", () => connectAs(tg.brokerUrl, "lift-01", undefined, { username: undefined as never })],
      ["unknown_client", () => connectAs(tg.brokerUrl, "lift-99", "whatever")],
      ["bad_password", () => connectAs(tg.brokerUrl, "lift-01", "not-the-secret")],
      ["bad_password", () => connectAs(tg.brokerUrl, "lift-01", secrets["lift-02"])],
      ["client_id_mismatch", () => connectAs(tg.brokerUrl, "lift-01", secrets["lift-02"], { username: "lift-02" })],
      ["other_site", () => connectAs(tg.brokerUrl, "other-site-01", secrets["other-site-01"])],
    ];
    for (const [reason, attempt] of attempts) {
      const before = await counter(registry(), "linli_auth_failures_total", { reason });
      await expect(attempt(), reason).rejects.toThrow(/refused|Bad username|Not authorized|Identifier/i);
      expect(await counter(registry(), "linli_auth_failures_total", { reason }), reason).toBe(before + 1);
    }
  });

  it("disconnects device A publishing on device B's topic, and the message goes nowhere", async () => {
    const before = tg.gateway.metrics.totals.messagesIn + tg.gateway.metrics.totals.rejected;
    const denied = await counter(registry(), "linli_authz_denied_total", { reason: "foreign_topic" });
    const a = await connectAs(tg.brokerUrl, "lift-01", secrets["lift-01"]);
    const gone = closed(a);
    a.publish(`linli/${SITE}/lift/lift-02/state`, state(9), { qos: 1 });
    await gone;
    expect(await counter(registry(), "linli_authz_denied_total", { reason: "foreign_topic" })).toBe(denied + 1);
    // the next message of a good device arrives, and the spoofed one never did
    const b = await connectAs(tg.brokerUrl, "lift-02", secrets["lift-02"]);
    await b.publishAsync(`linli/${SITE}/lift/lift-02/state`, state(1), { qos: 1 });
    await waitFor("marker ingested", () => tg.gateway.metrics.totals.messagesIn + tg.gateway.metrics.totals.rejected === before + 1);
    await b.endAsync();
    a.end(true);
  });

  it("refuses a device publishing commands (its own cmd topic, a lift guard command) or another kind's topic", async () => {
    for (const [topic, reason] of [
      [`linli/${SITE}/lift/lift-01/cmd`, "device_command"],
      [`linli/${SITE}/lift/lift-01/guard/set`, "device_command"],
      [`linli/${SITE}/lift/lift-02/guard/set`, "device_command"],
      [`linli/${SITE}/alerts/a-1`, "foreign_topic"],
      [`linli/${SITE}/gateway/status`, "foreign_topic"],
      [`linli/${SITE}/charger/lift-01/telemetry`, "foreign_topic"],
      [`linli/elsewhere/lift/lift-01/state`, "other_site"],
      [`$SYS/linli/x`, "sys_topic"],
    ] as const) {
      const before = await counter(registry(), "linli_authz_denied_total", { reason });
      const c = await connectAs(tg.brokerUrl, "lift-01", secrets["lift-01"]);
      const gone = closed(c);
      c.publish(topic, JSON.stringify(sealCommand({ action: "release", by: "lift-01" })), { qos: 1 });
      await gone;
      expect(await counter(registry(), "linli_authz_denied_total", { reason }), topic).toBe(before + 1);
      c.end(true);
    }
    expect(staffInbox.filter((m) => m.payload.includes('"lift-01"'))).toEqual([]);
  });

  it("lets a device subscribe only to its own command topic", async () => {
    const c = await connectAs(tg.brokerUrl, "lift-01", secrets["lift-01"]);
    const before = await counter(registry(), "linli_authz_denied_total", { action: "subscribe" });
    expect(await grants(c, [`linli/${SITE}/lift/lift-02/cmd`, `linli/${SITE}/#`, `linli/${SITE}/lift/lift-01/cmd`, "#"])).toEqual([128, 128, 1, 128]);
    expect(await counter(registry(), "linli_authz_denied_total", { action: "subscribe" })).toBe(before + 3);
    // the gateway's command reaches it; other devices' data does not
    const got: string[] = [];
    c.on("message", (topic) => got.push(topic));
    await tg.gateway.core.mqtt.publish(`linli/${SITE}/lift/lift-02/cmd`, "{}", { qos: 1 });
    await tg.gateway.core.mqtt.publish(`linli/${SITE}/lift/lift-01/cmd`, "{}", { qos: 1 });
    await waitFor("own command delivered", () => got.length >= 1);
    expect(got).toEqual([`linli/${SITE}/lift/lift-01/cmd`]);
    await c.endAsync();
  });

  it("staff commands need a fresh envelope: accepted once, replay and late refused, all audited with who and when", async () => {
    const staff = await connectAs(tg.brokerUrl, "alice", secrets.alice, { clientId: "alice-console" });
    const cmd = sealCommand({ action: "release", by: "bob", requestId: "r-1" }, 30_000);
    await staff.publishAsync(`linli/${SITE}/lift/L7/guard/set`, JSON.stringify(cmd), { qos: 1 });
    await waitFor("command delivered", () => staffInbox.some((m) => m.topic.endsWith("/L7/guard/set")));
    const delivered = JSON.parse(staffInbox.find((m) => m.topic.endsWith("/L7/guard/set"))!.payload);
    // the envelope is consumed; `by` says who authenticated (and whom they named)
    expect(delivered).toEqual({ action: "release", by: "alice (for bob)", requestId: "r-1" });

    const cases: [string, object][] = [
      ["replayed", cmd],
      ["expired", { ...sealCommand({ action: "release", by: "alice" }), expiresAt: Date.now() - 1 }],
      ["bad_envelope", { action: "release", by: "alice" }],
      ["bad_envelope", sealCommand({ action: "release", by: "alice" }, 24 * 3_600_000)],
      ["bad_response_topic", sealCommand({ action: "release", by: "alice", responseTopic: `linli/${SITE}/lift/L7/cmd` })],
      ["retained_command", sealCommand({ action: "release", by: "alice" })],
    ];
    for (const [reason, payload] of cases) {
      const before = await counter(registry(), "linli_authz_denied_total", { reason });
      const s = await connectAs(tg.brokerUrl, "alice", secrets.alice, { clientId: "alice-2" });
      const gone = closed(s);
      s.publish(`linli/${SITE}/lift/L7/guard/set`, JSON.stringify(payload), { qos: 1, retain: reason === "retained_command" });
      await gone;
      expect(await counter(registry(), "linli_authz_denied_total", { reason }), reason).toBe(before + 1);
      s.end(true);
    }
    expect(staffInbox.filter((m) => m.topic.endsWith("/L7/guard/set"))).toHaveLength(1);

    // a reply in the caller's own space is fine
    await staff.publishAsync(`linli/${SITE}/lift/L8/guard/set`, JSON.stringify(sealCommand({ action: "enable", by: "alice", responseTopic: `linli/${SITE}/staff/alice/replies` })), { qos: 1 });
    await waitFor("second command", () => staffInbox.some((m) => m.topic.endsWith("/L8/guard/set")));

    const audit = readFileSync(join(tg.dataDir, "audit/security.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const l7 = audit.filter((r) => r.topic === `linli/${SITE}/lift/L7/guard/set`);
    expect(l7.map((r) => [r.who, r.outcome, r.reason])).toEqual([
      ["alice", "accepted", undefined],
      ["alice", "refused", "replayed"],
      ["alice", "refused", "expired"],
      ["alice", "refused", "bad_envelope"],
      ["alice", "refused", "bad_envelope"],
      ["alice", "refused", "bad_response_topic"],
      ["alice", "refused", "retained_command"],
    ]);
    for (const r of l7) expect(typeof r.ts).toBe("number");
    expect(l7[0].nonce).toBe(cmd.nonce);
    // staff may read the site, but not publish device data
    expect(await grants(staff, [`linli/${SITE}/#`, "linli/elsewhere/#", "#"], 0)).toEqual([0, 128, 128]);
    const gone = closed(staff);
    staff.publish(`linli/${SITE}/lift/lift-01/state`, state(2), { qos: 1 });
    await gone;
    staff.end(true);
  });

  it("throttles a device over its rate, disconnects one far over it, and the others keep working", async () => {
    const slow = await connectAs(tg.brokerUrl, "slow-01", secrets["slow-01"]);
    const throttled = await counter(registry(), "linli_client_throttled_total");
    const disconnected = await counter(registry(), "linli_client_disconnected_total", { reason: "rate" });
    const before = tg.gateway.metrics.totals.messagesIn + tg.gateway.metrics.totals.rejected;
    // 30 in a burst of 20 at 20/s: the last 10 wait for tokens (<= 0.5 s), none is lost
    await Promise.all(Array.from({ length: 30 }, (_, i) => slow.publishAsync(`linli/${SITE}/gate/slow-01/status`, JSON.stringify({ ts: Date.now(), uptimeS: i }), { qos: 1 })));
    await waitFor("30 gate statuses", () => tg.gateway.metrics.totals.messagesIn + tg.gateway.metrics.totals.rejected === before + 30);
    expect(await counter(registry(), "linli_client_throttled_total")).toBeGreaterThan(throttled);
    // 200 more at once: more than maxThrottleMs (1 s) behind at 20/s, so it goes
    const gone = closed(slow);
    for (let i = 0; i < 200; i++) slow.publish(`linli/${SITE}/gate/slow-01/status`, JSON.stringify({ ts: Date.now(), uptimeS: i }), { qos: 0 });
    await gone;
    expect(await counter(registry(), "linli_client_disconnected_total", { reason: "rate" })).toBe(disconnected + 1);
    const ok = await connectAs(tg.brokerUrl, "charger-01", secrets["charger-01"]);
    const mark = tg.gateway.metrics.totals.messagesIn;
    await ok.publishAsync(`linli/${SITE}/charger/charger-01/telemetry`, JSON.stringify({ ts: Date.now(), ports: [{ port: 1, state: "idle", voltageV: 48, currentA: 0, powerW: 0, energyWh: 0, tempC: 20 }] }), { qos: 1 });
    await waitFor("charger ingested", () => tg.gateway.metrics.totals.messagesIn > mark);
    await ok.endAsync();
    slow.end(true);
  });

  it("closes a connection whose packet declares more than maxPacketBytes, from the header alone", async () => {
    const before = await counter(registry(), "linli_client_disconnected_total", { reason: "packet_size" });
    const port = Number(new URL(tg.brokerUrl).port);
    const s = createConnection({ host: "127.0.0.1", port });
    await new Promise((r) => s.once("connect", r));
    const ended = new Promise((r) => s.once("close", r));
    s.on("error", () => {});
    // PUBLISH, remaining length 200 MiB (varint 0x80 0x80 0x80 0x64), then a little of the body
    s.write(Buffer.concat([Buffer.from([0x30, 0x80, 0x80, 0x80, 0x64]), Buffer.alloc(1024, 0x41)]));
    await ended;
    expect(await counter(registry(), "linli_client_disconnected_total", { reason: "packet_size" })).toBe(before + 1);
    // and a packet under the limit still passes
    const c = await connectAs(tg.brokerUrl, "lift-02", secrets["lift-02"]);
    await c.publishAsync(`linli/${SITE}/lift/lift-02/state`, state(4), { qos: 1 });
    await c.endAsync();
  });

  it("refuses sockets past maxConnections and counts them", async () => {
    const port = Number(new URL(tg.brokerUrl).port);
    const open = tg.gateway.broker!.security.connections;
    const sockets = [];
    for (let i = open; i < 40; i++) {
      const s = createConnection({ host: "127.0.0.1", port });
      s.on("error", () => {});
      await new Promise((r) => s.once("connect", r));
      sockets.push(s);
    }
    await waitFor("40 sockets held", () => tg.gateway.broker!.security.connections === 40);
    const before = await counter(registry(), "linli_connections_refused_total", { reason: "max_connections" });
    const extra = createConnection({ host: "127.0.0.1", port });
    extra.on("error", () => {});
    await new Promise((r) => extra.once("close", r));
    expect(await counter(registry(), "linli_connections_refused_total", { reason: "max_connections" })).toBe(before + 1);
    for (const s of sockets) s.destroy();
    await waitFor("sockets released", () => tg.gateway.broker!.security.connections <= open);
    const c = await connectAs(tg.brokerUrl, "lift-02", secrets["lift-02"]);
    await c.endAsync();
  });

  it("reloads the registry file: a new device gets in, a removed one is disconnected", async () => {
    const reg = DeviceRegistry.load(registryPath);
    const extra = await writeRegistry(tempDir("security-extra"), SITE, [{ id: "throw-07", kind: "throw" }]);
    reg.addDevice(extra.registry.devices[0]!);
    const removed = await connectAs(tg.brokerUrl, "charger-01", secrets["charger-01"]);
    const gone = closed(removed);
    reg.remove("charger-01");
    reg.save(registryPath);
    await waitFor("new device accepted", async () => {
      try {
        const c = await connectAs(tg.brokerUrl, "throw-07", extra.secrets["throw-07"]);
        await c.endAsync();
        return true;
      } catch {
        return false;
      }
    }, 20_000, 500);
    await gone;
    await expect(connectAs(tg.brokerUrl, "charger-01", secrets["charger-01"])).rejects.toThrow();
  });
});

describe("safe by default", () => {
  it("without a registry, accepts anonymous clients on loopback", async () => {
    const tg = await startTestGateway({ influx: { enabled: false } });
    try {
      const c = await tg.client({ clientId: "anyone" });
      await c.publishAsync("linli/demo/lift/x1/state", state(1), { qos: 1 });
      await waitFor("ingested", () => tg.gateway.metrics.totals.messagesIn === 1);
    } finally {
      await tg.stop();
    }
  });

  it("refuses to start a listener on a non-loopback address without a registry, and says why", async () => {
    await expect(EmbeddedBroker.start({ host: "0.0.0.0", port: 0 })).rejects.toThrow(/not a loopback address.*security\.registry/s);
    const dataDir = tempDir("security-start");
    try {
      const config = parseConfig({ logLevel: "silent", dataDir, influx: { enabled: false }, http: { enabled: false }, broker: { host: "0.0.0.0", port: await freePort() } });
      await expect(Gateway.start(config, { log: pino({ level: "silent" }) })).rejects.toThrow(/no device registry is configured/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("with a registry, listens on any address, and a broken registry is a clear config error", async () => {
    const dir = tempDir("security-any");
    try {
      const { path, secrets } = await writeRegistry(dir, "demo", [{ id: "gate-01", kind: "gate" }]);
      const broker = await EmbeddedBroker.start({ host: "0.0.0.0", port: 0, security: { registry: path }, dataDir: dir });
      try {
        const c = await connectAs(`mqtt://127.0.0.1:${broker.address.port}`, "gate-01", secrets["gate-01"]);
        await c.endAsync();
      } finally {
        await broker.close();
      }
      writeFileSync(path, "devices:\n  - id: bad id\n    kind: gate\n    site: demo\n");
      await expect(EmbeddedBroker.start({ host: "127.0.0.1", port: 0, security: { registry: path } })).rejects.toThrow(/invalid device registry.*devices\.0\.id/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("secrets stay out of logs", () => {
  it("logs refused logins at trace level without the password, the secret or the hashes", async () => {
    const dir = tempDir("security-logs");
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const { path, secrets, registry } = await writeRegistry(dir, "demo", [{ id: "lift-05", kind: "lift" }]);
    const broker = await EmbeddedBroker.start({ host: "127.0.0.1", port: 0, security: { registry: path }, dataDir: dir, log: pino({ level: "trace" }, sink) });
    try {
      const url = `mqtt://127.0.0.1:${broker.address.port}`;
      await expect(connectAs(url, "lift-05", "wrong-password-xyz")).rejects.toThrow();
      await expect(connectAs(url, "nobody", secrets["lift-05"])).rejects.toThrow();
      const c = await connectAs(url, "lift-05", secrets["lift-05"]);
      const gone = closed(c);
      c.publish("linli/demo/lift/other/state", "{}", { qos: 1 });
      await gone;
      c.end(true);
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const log = lines.join("");
    expect(log).toMatch(/mqtt login refused/);
    expect(log).toMatch(/mqtt publish refused/);
    for (const secret of ["wrong-password-xyz", secrets["lift-05"]!, registry.devices[0]!.password!, registry.devices[0]!.mosquittoPassword!]) expect(log).not.toContain(secret);
  });
});

describe("failed-login slowdown", () => {
  it("delays logins from an address after its free failures, counts them, and still lets the right secret in", async () => {
    const dir = tempDir("security-slow");
    const { path, secrets } = await writeRegistry(dir, "demo", [{ id: "gate-09", kind: "gate" }]);
    const broker = await EmbeddedBroker.start({ host: "127.0.0.1", port: 0, security: { registry: path, authFailures: { freeAttempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }, dataDir: dir });
    try {
      const url = `mqtt://127.0.0.1:${broker.address.port}`;
      const slowed = () => counter(broker.securityMetrics.registry, "linli_auth_slowed_total");
      for (let i = 0; i < 3; i++) await expect(connectAs(url, "gate-09", `guess-${i}`)).rejects.toThrow();
      expect(await slowed()).toBe(0); // two free failures, and the third attempt was not yet slowed
      await expect(connectAs(url, "gate-09", "guess-3")).rejects.toThrow();
      expect(await slowed()).toBe(1);
      const c = await connectAs(url, "gate-09", secrets["gate-09"]);
      expect(await slowed()).toBe(2);
      await c.endAsync();
      expect(await counter(broker.securityMetrics.registry, "linli_auth_failures_total", { reason: "bad_password" })).toBe(4);
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("in-flight limit", () => {
  it("disconnects a client with more throttled publishes in flight than maxInflight", async () => {
    const dir = tempDir("security-inflight");
    const { path, secrets } = await writeRegistry(dir, "demo", [{ id: "gate-03", kind: "gate" }]);
    const broker = await EmbeddedBroker.start({ host: "127.0.0.1", port: 0, security: { registry: path, limits: { ratePerSec: 1, burst: 1, maxThrottleMs: 60_000, maxInflight: 5 } }, dataDir: dir });
    try {
      const str = (s: string) => {
        const b = Buffer.from(s);
        return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
      };
      const frame = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, body.length]), body]);
      const connect = frame(0x10, Buffer.concat([str("MQTT"), Buffer.from([4, 0xc2, 0, 60]), str("gate-03"), str("gate-03"), str(secrets["gate-03"]!)]));
      const publish = frame(0x30, Buffer.concat([str("linli/demo/gate/gate-03/status"), Buffer.from('{"uptimeS":1}')]));
      // CONNECT and ten publishes in one write: aedes queues them during the login and then handles them together
      const s = createConnection({ host: "127.0.0.1", port: broker.address.port });
      s.on("error", () => {});
      await new Promise((r) => s.once("connect", r));
      const gone = new Promise((r) => s.once("close", r));
      s.resume(); // read (and drop) the CONNACK, so the broker's close is seen
      s.write(Buffer.concat([connect, ...Array.from({ length: 10 }, () => publish)]));
      await gone;
      expect(await limitHits(broker.securityMetrics.registry, "inflight")).toBe(1);
      expect(await counter(broker.securityMetrics.registry, "linli_client_throttled_total")).toBe(5);
      expect(await counter(broker.securityMetrics.registry, "linli_mqtt_protocol_errors_total")).toBe(0); // the publishes still queued behind it are not errors of their own
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
