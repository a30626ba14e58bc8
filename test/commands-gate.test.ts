import { rmSync } from "node:fs";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { EmbeddedBroker } from "../gateway/broker/embedded.ts";
import { ExternalBroker } from "../gateway/broker/external.ts";
import { CommandGate, type CommandVerdict } from "../gateway/commands/gate.ts";
import { commandInbox } from "../gateway/commands/inbox.ts";
import { securityConfigSchema } from "../gateway/security/config.ts";
import { sealCommand } from "../gateway/security/envelope.ts";
import { TopicPolicy, type Identity } from "../gateway/security/policy.ts";
import { startMosquitto, type Mosquitto } from "./services/mosquitto.ts";
import { waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";
import { connectAs, writeRegistry } from "./security-fixtures.ts";

const SITE = "cmd";
const SET = `linli/${SITE}/lift/L1/guard/set`;
const commandsConfig = (overrides: { requireEnvelope?: boolean } = {}) => securityConfigSchema.parse({ commands: { maxTtlMs: 60_000, replayCacheSize: 100, ...overrides } }).commands;
const policy = new TopicPolicy(SITE, deviceKinds);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const alice: Extract<Identity, { type: "account" }> = { type: "account", id: "alice", role: "staff", site: SITE };

describe("CommandGate.check: a command as it reached the gateway", () => {
  let now = 1_800_000_000_000;
  const gate = (requireEnvelope = true) => new CommandGate({ policy, commands: commandsConfig({ requireEnvelope }), now: () => now });
  const external = { brokerVerified: false };
  const embedded = { brokerVerified: true };

  it("external broker: refuses unsealed, expired and replayed commands, and hands on a fresh one without its envelope", () => {
    const g = gate();
    expect(g.check(SET, json({ action: "release", by: "carol", requestId: "u1" }), external)).toEqual({ ok: false, topic: SET, reason: "bad_envelope", detail: "nonce: 16-128 characters of A-Z a-z 0-9 _ - required", requestId: "u1" });
    expect(g.check(SET, json(sealCommand({ action: "release", by: "carol" }, 5_000, now - 10_000)), external)).toEqual({ ok: false, topic: SET, reason: "expired", detail: "expired 5000 ms ago" });
    const sealed = json(sealCommand({ action: "release", by: "carol", requestId: "s1" }, 30_000, now));
    expect(g.check(SET, sealed, external)).toEqual({ ok: true, topic: SET, command: { action: "release", by: "carol", requestId: "s1" } });
    expect(g.check(SET, sealed, external)).toEqual({ ok: false, topic: SET, reason: "replayed", detail: "nonce already used", requestId: "s1" });
    expect(g.nonces).toBe(1);
  });

  it("external broker: refuses new commands when the replay cache is full", () => {
    const g = gate();
    for (let i = 0; i < 100; i++) expect(g.check(SET, json(sealCommand({ action: "enable", by: "carol" }, 30_000, now)), external).ok).toBe(true);
    expect(g.check(SET, json(sealCommand({ action: "enable", by: "carol" }, 30_000, now)), external)).toMatchObject({ ok: false, reason: "replay_cache_full", detail: "100 nonces in use" });
  });

  it("refuses payloads that are not a JSON object, as the lift's consumer always did", () => {
    const g = gate();
    expect(g.check(SET, Buffer.from("{nope"), external)).toEqual({ ok: false, topic: SET, reason: "bad_payload", detail: "payload must be JSON" });
    expect(g.check(SET, Buffer.from("{nope"), embedded)).toEqual({ ok: false, topic: SET, reason: "bad_payload", detail: "payload must be JSON" });
    expect(g.check(SET, json([1]), embedded)).toEqual({ ok: false, topic: SET, reason: "bad_payload", detail: "a command must be a JSON object" });
    expect(g.check(SET, json(null), embedded)).toMatchObject({ ok: false, reason: "bad_payload" });
    // external: the envelope is checked first, so a bare value is a bad envelope
    expect(g.check(SET, json("release"), external)).toEqual({ ok: false, topic: SET, reason: "bad_envelope", detail: "a command must be a JSON object" });
  });

  it("embedded broker: asks for no envelope (the publish hook spent it) and drops a leftover one", () => {
    const g = gate();
    expect(g.check(SET, json({ action: "enable", by: "alice" }), embedded)).toEqual({ ok: true, topic: SET, command: { action: "enable", by: "alice" } });
    const sealed = json(sealCommand({ action: "enable", by: "alice" }, 30_000, now));
    expect(g.check(SET, sealed, embedded)).toEqual({ ok: true, topic: SET, command: { action: "enable", by: "alice" } });
    expect(g.check(SET, sealed, embedded).ok).toBe(true);
    expect(g.nonces).toBe(0);
  });

  it("external broker with envelopes off: nothing to verify, a leftover envelope dropped", () => {
    const g = gate(false);
    expect(g.check(SET, json({ action: "enable", by: "carol", nonce: "n".repeat(16), expiresAt: 1 }), external)).toEqual({ ok: true, topic: SET, command: { action: "enable", by: "carol" } });
  });

  it("sends answers only to staff reply space or the commanded lift's result topic, in both modes", () => {
    const g = gate();
    for (const mode of [external, embedded]) {
      const reply = (responseTopic: string) => g.check(SET, json(sealCommand({ action: "release", by: "carol", requestId: "q3", responseTopic }, 30_000, now)), mode);
      for (const ok of [`linli/${SITE}/staff/carol/inbox`, `linli/${SITE}/staff/x`, `linli/${SITE}/lift/L1/guard/result`]) expect(reply(ok), ok).toMatchObject({ ok: true, command: { responseTopic: ok } });
      for (const bad of [`linli/${SITE}/lift/L1/cmd`, `linli/${SITE}/lift/L2/guard/result`, `linli/${SITE}/staff/`, `linli/${SITE}/staff/+/x`, `linli/${SITE}/staff/a/#`, `linli/other/staff/carol/inbox`]) {
        expect(reply(bad), bad).toEqual({ ok: false, topic: SET, reason: "bad_response_topic", detail: `answers go to linli/${SITE}/staff/<id>/... or linli/${SITE}/lift/L1/guard/result`, requestId: "q3" });
      }
    }
    // a command for a device, not a lift guard: staff space only
    const cmd = `linli/${SITE}/gate/g1/cmd`;
    expect(g.check(cmd, json({ open: true, responseTopic: `linli/${SITE}/lift/L1/guard/result` }), embedded)).toEqual({ ok: false, topic: cmd, reason: "bad_response_topic", detail: `answers go to linli/${SITE}/staff/<id>/...` });
  });
});

describe("CommandGate.admitStaff: a staff account's command on the embedded broker", () => {
  const now = 1_800_000_000_000;
  const gate = (requireEnvelope = true) => new CommandGate({ policy, commands: commandsConfig({ requireEnvelope }), now: () => now });
  const setTopic = policy.classify(SET);

  it("spends the envelope, says who authenticated in `by`, and refuses replays, also on the other path", () => {
    const g = gate();
    const cmd = sealCommand({ action: "release", by: "bob", requestId: "r-1" }, 30_000, now);
    const admitted = g.admitStaff(alice, setTopic, json(cmd));
    expect(admitted).toMatchObject({ ok: true, envelope: { nonce: cmd.nonce, expiresAt: cmd.expiresAt } });
    expect(admitted.ok && JSON.parse(admitted.payload.toString())).toEqual({ action: "release", by: "alice (for bob)", requestId: "r-1" });
    expect(g.admitStaff(alice, setTopic, json(cmd))).toEqual({ ok: false, reason: "replayed", detail: "nonce already used" });
    // one nonce cache: what the broker accepted cannot come round again through the external path
    expect(g.check(SET, json(cmd), { brokerVerified: false })).toMatchObject({ ok: false, reason: "replayed" });
    const own = g.admitStaff(alice, setTopic, json(sealCommand({ action: "enable", by: "alice" }, 30_000, now)));
    expect(own.ok && JSON.parse(own.payload.toString())).toEqual({ action: "enable", by: "alice" });
  });

  it("refuses unsealed, late and unparsable commands, and replies outside the account's own space", () => {
    const g = gate();
    expect(g.admitStaff(alice, setTopic, json({ action: "release", by: "alice" }))).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(g.admitStaff(alice, setTopic, Buffer.from("{nope"))).toEqual({ ok: false, reason: "bad_envelope", detail: "a command must be a JSON object" });
    expect(g.admitStaff(alice, setTopic, json(sealCommand({ action: "release", by: "alice" }, 5_000, now - 10_000)))).toMatchObject({ ok: false, reason: "expired" });
    const other = sealCommand({ action: "release", by: "alice", responseTopic: `linli/${SITE}/staff/bob/replies` }, 30_000, now);
    expect(g.admitStaff(alice, setTopic, json(other))).toEqual({ ok: false, reason: "bad_response_topic", envelope: { nonce: other.nonce, expiresAt: other.expiresAt } });
    for (const responseTopic of [`linli/${SITE}/staff/alice/replies`, `linli/${SITE}/lift/L1/guard/result`]) {
      expect(g.admitStaff(alice, setTopic, json(sealCommand({ action: "release", by: "alice", responseTopic }, 30_000, now))).ok, responseTopic).toBe(true);
    }
  });

  it("with envelopes off, passes the payload on untouched and unchecked", () => {
    const payload = json({ action: "release", by: "bob" });
    expect(gate(false).admitStaff(alice, setTopic, payload)).toEqual({ ok: true, payload });
  });
});

describe("commandInbox over real broker links", () => {
  let dir: string;
  let broker: EmbeddedBroker;
  let open: EmbeddedBroker;
  let mosquitto: Mosquitto;
  let gate: CommandGate;
  let secrets: Record<string, string>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = tempDir("commands-gate");
    const reg = await writeRegistry(dir, SITE, [{ id: "alice", role: "staff" }]);
    secrets = reg.secrets;
    gate = new CommandGate({ policy, commands: commandsConfig() });
    broker = await EmbeddedBroker.start({ host: "127.0.0.1", port: 0, site: SITE, security: { registry: reg.path }, dataDir: dir, commandGate: gate });
    // no registry: anonymous loopback clients, whose commands nobody checked before the gateway
    open = await EmbeddedBroker.start({ host: "127.0.0.1", port: 0, site: SITE });
    mosquitto = await startMosquitto();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await broker?.close();
    await open?.close();
    await mosquitto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const collect = async (inbox: ReturnType<typeof commandInbox>) => {
    const verdicts: CommandVerdict[] = [];
    const stop = await inbox.subscribe(`linli/${SITE}/lift/+/guard/set`, (v) => void verdicts.push(v));
    return { verdicts, stop };
  };

  it("embedded broker: the publish hook uses the gateway's gate, and the inbox hands on the rewritten command", async () => {
    expect(broker.security.commandGate).toBe(gate);
    const { verdicts, stop } = await collect(commandInbox(broker, gate, { brokerVerified: true }));
    const staff = await connectAs(`mqtt://127.0.0.1:${broker.address.port}`, "alice", secrets.alice, { clientId: "alice-console" });
    clients.push(staff);
    const cmd = sealCommand({ action: "release", by: "bob", requestId: "r-1", responseTopic: `linli/${SITE}/staff/alice/replies` });
    await staff.publishAsync(SET, JSON.stringify(cmd), { qos: 1 });
    await waitFor("verdict", () => verdicts.length === 1);
    expect(verdicts).toEqual([{ ok: true, topic: SET, command: { action: "release", by: "alice (for bob)", requestId: "r-1", responseTopic: `linli/${SITE}/staff/alice/replies` } }]);
    expect(gate.check(SET, Buffer.from(JSON.stringify(cmd)), { brokerVerified: false })).toMatchObject({ ok: false, reason: "replayed" });
    await stop();
    await staff.publishAsync(SET, JSON.stringify(sealCommand({ action: "enable", by: "alice" })), { qos: 1 });
    expect(verdicts).toHaveLength(1);
  });

  it("embedded broker, anonymous loopback client: no envelope asked for, but the reply topic is still checked", async () => {
    const openGate = new CommandGate({ policy, commands: commandsConfig() });
    const { verdicts } = await collect(commandInbox(open, openGate, { brokerVerified: true }));
    const c = await connectAsync(`mqtt://127.0.0.1:${open.address.port}`, { clientId: "sim", reconnectPeriod: 0 });
    clients.push(c);
    await c.publishAsync(SET, JSON.stringify({ action: "release", by: "carol", requestId: "a1" }), { qos: 1 });
    await c.publishAsync(SET, JSON.stringify({ action: "release", by: "carol", requestId: "a2", responseTopic: `linli/${SITE}/lift/L1/cmd` }), { qos: 1 });
    await waitFor("two verdicts", () => verdicts.length === 2);
    expect(verdicts[0]).toEqual({ ok: true, topic: SET, command: { action: "release", by: "carol", requestId: "a1" } });
    expect(verdicts[1]).toMatchObject({ ok: false, reason: "bad_response_topic", requestId: "a2" });
  });

  it("external broker: the inbox checks the envelope itself (unsealed, replayed, bad reply topic, good)", async () => {
    const link = await ExternalBroker.connect({ url: mosquitto.url, clientId: "gw-ext", statusTopic: `linli/${SITE}/gateway/status` });
    const extGate = new CommandGate({ policy, commands: commandsConfig() });
    try {
      const { verdicts } = await collect(commandInbox(link, extGate, { brokerVerified: false }));
      const c = await connectAsync(mosquitto.url, { clientId: "staff-ext", reconnectPeriod: 0 });
      clients.push(c);
      const sealed = JSON.stringify(sealCommand({ action: "release", by: "carol", requestId: "s1" }, 30_000));
      await c.publishAsync(SET, JSON.stringify({ action: "release", by: "carol", requestId: "u1" }), { qos: 1 });
      await c.publishAsync(SET, sealed, { qos: 1 });
      await c.publishAsync(SET, sealed, { qos: 1 });
      await c.publishAsync(SET, JSON.stringify(sealCommand({ action: "release", by: "carol", requestId: "b1", responseTopic: `linli/${SITE}/lift/L1/cmd` })), { qos: 1 });
      await waitFor("four verdicts", () => verdicts.length === 4);
      expect(verdicts.map((v) => (v.ok ? "ok" : `${v.reason}:${v.requestId}`))).toEqual(["bad_envelope:u1", "ok", "replayed:s1", "bad_response_topic:b1"]);
      expect(verdicts[1]).toEqual({ ok: true, topic: SET, command: { action: "release", by: "carol", requestId: "s1" } });
    } finally {
      await link.close();
    }
  });
});
