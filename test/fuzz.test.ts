import { createConnection, type Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import type { DeviceKind } from "../devices/types.ts";
import { seededRandom } from "../gateway/simulate/fleet.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";
import { connectAs, counter, limitHits, writeRegistry } from "./security-fixtures.ts";

/**
 * 100,000+ random and malformed payloads on every channel of every kind, spoofed topics, malformed
 * packets over raw TCP and random logins, while one well-behaved device publishes QoS 1: the
 * gateway stays up, its heap stays bounded, every message is either accepted or counted as
 * rejected, and the good device loses nothing.
 */

const SITE = "fuzz";
const FUZZ_MESSAGES = 100_000;
const GOOD_MESSAGES = 2_000;
const rnd = seededRandom(20261128);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const int = (n: number) => Math.floor(rnd() * n);

/** Valid payloads per `<kind>/<channel>`, from each kind's own simulator. */
function samples(): Map<string, object[]> {
  const out = new Map<string, object[]>();
  for (const k of deviceKinds) {
    const dev = k.simulator.create(0, { random: rnd });
    for (let t = 0; t < 3_600_000 && [...out.keys()].filter((key) => key.startsWith(`${k.kind}/`)).length < Object.keys(k.channels).length; t += k.simulator.tickMs) {
      for (const m of dev.tick(Date.now() - 3_600_000 + t)) {
        if (Buffer.isBuffer(m.payload)) continue;
        const key = `${k.kind}/${m.channel}`;
        const list = out.get(key) ?? [];
        if (list.length < 20) list.push(m.payload);
        out.set(key, list);
      }
    }
  }
  return out;
}

const weird: unknown[] = [null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 1, "NaN", "Infinity", "", "x".repeat(300), "沪A12345", [], {}, [1, 2], { $gt: 1 }, "\u0000", "1e999"];

function mutate(value: unknown, depth = 0): unknown {
  if (depth > 3 || value === null || typeof value !== "object") return rnd() < 0.5 ? pick(weird) : value;
  if (Array.isArray(value)) return rnd() < 0.2 ? [] : value.map((v) => (rnd() < 0.3 ? mutate(v, depth + 1) : v));
  const o: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(o);
  const r = rnd();
  if (r < 0.25 && keys.length) o[pick(keys)] = pick(weird);
  else if (r < 0.4 && keys.length) delete o[pick(keys)];
  else if (r < 0.5) o[`x${int(100)}`] = pick(weird);
  else if (r < 0.6) o.deviceId = `other-${int(10)}`;
  else if (r < 0.7 && keys.length) o[pick(keys)] = mutate(o[pick(keys)], depth + 1);
  else if (r < 0.8) o.ts = pick([Date.now() - 1e10, Date.now() + 1e10, -5, "yesterday", 1.5]);
  else for (const k of keys) if (typeof o[k] === "string" && rnd() < 0.5) o[k] = `${o[k]}-${int(1e9)}`; // fresh ids: not duplicates
  return o;
}

/** One fuzzed payload for a channel: mutated, truncated, binary junk, nested, oversize, or valid. */
function payloadFor(kind: DeviceKind, channel: string, valid: object[]): Buffer {
  const base = valid.length ? pick(valid) : {};
  const r = rnd();
  if (kind.channels[channel]?.encoding === "binary") {
    if (r < 0.3) return Buffer.from([0xff, 0xd8, 0xff, ...Array.from({ length: int(200) }, () => int(256))]); // a JPEG that stops
    if (r < 0.5) return Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.alloc(int(100), int(256))]);
    return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
  }
  if (r < 0.35) return Buffer.from(JSON.stringify(mutate(base)));
  if (r < 0.5) {
    const s = JSON.stringify(base);
    return Buffer.from(s.slice(0, int(s.length)));
  }
  if (r < 0.6) return Buffer.from(Array.from({ length: int(200) }, () => int(256)));
  if (r < 0.65) return Buffer.from(`${"[".repeat(2_000)}${"]".repeat(2_000)}`);
  if (r < 0.7) return Buffer.from(JSON.stringify({ ...base, pad: "p".repeat(kind.channels[channel]!.maxBytes) })); // over the channel's cap
  if (r < 0.75) return Buffer.from(pick(["", "null", "[]", "\"s\"", "1", "{", "}", "{\"ts\":NaN}", "\ufeff{}"]));
  return Buffer.from(JSON.stringify(mutate(base, 4))); // usually valid, with fresh ids
}

function gc(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** MQTT's variable-length "remaining length". */
function remaining(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function mqttString(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function packet(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), remaining(body.length), body]);
}

function connectPacket(clientId: string, protocol = "MQTT", level = 4): Buffer {
  return packet(0x10, Buffer.concat([mqttString(protocol), Buffer.from([level, 0x02, 0, 60]), mqttString(clientId)]));
}

/** Opens a raw socket, writes `bytes`, half-closes, and resolves when the broker has closed it. */
function raw(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s: Socket = createConnection({ host: "127.0.0.1", port }, () => {
      s.write(bytes);
      s.end();
    });
    s.on("error", () => {});
    s.once("close", () => resolve());
  });
}

describe("fuzz: the broker and ingest under random and malformed input", () => {
  let dir: string;
  let tg: TestGateway;
  let secrets: Record<string, string>;
  const fuzzers = deviceKinds.flatMap((k) => [1, 2].map((i) => ({ id: `fz-${k.kind}-${i}`, kind: k })));

  beforeAll(async () => {
    dir = tempDir("fuzz");
    const reg = await writeRegistry(dir, SITE, [...fuzzers.map((f) => ({ id: f.id, kind: f.kind.kind })), { id: "good-lift", kind: "lift" }, { id: "spoofer", kind: "gate" }, { id: "fresh", kind: "throw" }]);
    secrets = reg.secrets;
    tg = await startTestGateway({
      site: SITE,
      influx: { enabled: false },
      security: {
        registry: reg.path,
        // the fuzzers must not be throttled off: every message they send has to reach ingest and be counted there
        limits: { ratePerSec: 1_000_000, burst: 1_000_000, maxInflight: 10_000, maxPacketBytes: 256 * 1024, connectTimeoutMs: 2_000 },
        authFailures: { freeAttempts: 1_000_000 },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await tg?.stop();
    const { rmSync } = await import("node:fs");
    rmSync(dir, { recursive: true, force: true });
  });

  it("stays up with bounded memory, counts every reject, and loses nothing of a good device", async () => {
    const metrics = tg.gateway.metrics;
    const sec = tg.gateway.broker!.securityMetrics.registry;
    const port = Number(new URL(tg.brokerUrl).port);
    const valid = samples();
    let goodEvents = 0;
    let goodRejects = 0;
    tg.gateway.core.bus.on("device.event", (e) => {
      if (e.deviceId === "good-lift") goodEvents++;
    });
    tg.gateway.core.bus.on("device.rejected", (r) => {
      if (r.topic.includes("/good-lift/")) goodRejects++;
    });

    // warm up, then measure the heap
    const warm = await connectAs(tg.brokerUrl, "fresh", secrets.fresh);
    await warm.publishAsync(`linli/${SITE}/throw/fresh/status`, JSON.stringify({ ts: Date.now(), uptimeS: 1 }), { qos: 1 });
    await warm.endAsync();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const countedBefore = metrics.totals.messagesIn + metrics.totals.rejected;

    // the good device: QoS 1, steadily, all through the fuzzing
    const good = await connectAs(tg.brokerUrl, "good-lift", secrets["good-lift"]);
    const goodRun = (async () => {
      for (let i = 0; i < GOOD_MESSAGES; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => good.publishAsync(`linli/${SITE}/lift/good-lift/state`, JSON.stringify({ ts: Date.now(), floor: (i + j) % 40, door: "closed", moving: true, direction: "up", mode: "normal", loadPct: 50 }), { qos: 1 })));
      }
    })();

    // the fuzzers: every channel of every kind, on their own topics (so every message reaches ingest)
    const clients: MqttClient[] = [];
    for (const f of fuzzers) clients.push(await connectAs(tg.brokerUrl, f.id, secrets[f.id]));
    let sent = 0;
    const perClient = Math.ceil(FUZZ_MESSAGES / fuzzers.length);
    await Promise.all(
      fuzzers.map(async (f, n) => {
        const c = clients[n]!;
        const channels = Object.keys(f.kind.channels);
        for (let i = 0; i < perClient; i += 200) {
          const batch = [];
          for (let j = 0; j < 200 && i + j < perClient; j++) {
            const channel = pick(channels);
            batch.push(c.publishAsync(`linli/${SITE}/${f.kind.kind}/${f.id}/${channel}`, payloadFor(f.kind, channel, valid.get(`${f.kind.kind}/${channel}`) ?? []), { qos: 0 }));
            sent++;
          }
          await Promise.all(batch);
        }
      }),
    );

    // spoofing: other devices' topics, commands, other sites, $SYS: each refused and counted; the fuzzer is dropped
    const deniedBefore = await counter(sec, "linli_authz_denied_total");
    const spoofTopics = [
      `linli/${SITE}/lift/good-lift/state`,
      `linli/${SITE}/gate/fz-gate-1/event`,
      `linli/${SITE}/gate/spoofer/cmd`,
      `linli/${SITE}/lift/good-lift/guard/set`,
      `linli/${SITE}/alerts/x`,
      `linli/other/gate/spoofer/event`,
      `$SYS/broker/x`,
      `linli/${SITE}/gate/spoofer/event/extra`,
      "garbage",
    ];
    const SPOOFS = 90;
    for (let i = 0; i < SPOOFS; i++) {
      const c = await connectAs(tg.brokerUrl, "spoofer", secrets.spoofer);
      const gone = new Promise<void>((r) => c.once("close", () => r()));
      c.publish(spoofTopics[i % spoofTopics.length]!, payloadFor(deviceKinds[1]!, "event", []), { qos: 1 });
      await gone;
      c.end(true);
    }
    expect((await counter(sec, "linli_authz_denied_total")) - deniedBefore).toBe(SPOOFS);

    // random logins: all refused and counted
    const authBefore = await counter(sec, "linli_auth_failures_total");
    const LOGINS = 60;
    for (let i = 0; i < LOGINS; i++) {
      const id = pick(["good-lift", "nobody", `fz-lift-${int(3)}`, "x".repeat(60)]);
      await expect(connectAs(tg.brokerUrl, id, Buffer.from(Array.from({ length: int(40) + 1 }, () => int(256))).toString("latin1"))).rejects.toThrow();
    }
    expect((await counter(sec, "linli_auth_failures_total")) - authBefore).toBe(LOGINS);

    // malformed packets over raw TCP: each kind refused and counted exactly
    const N = 40;
    const before = { size: await limitHits(sec, "packet_size"), header: await limitHits(sec, "malformed_header"), protocol: await counter(sec, "linli_mqtt_protocol_errors_total") };
    for (let i = 0; i < N; i++) await raw(port, Buffer.concat([Buffer.from([0x30]), remaining(300 * 1024 + int(1e8)), Buffer.alloc(int(2_000))]));
    for (let i = 0; i < N; i++) await raw(port, Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    for (let i = 0; i < N; i++) await raw(port, packet(0x30, Buffer.concat([mqttString(`linli/${SITE}/lift/x/state`), Buffer.from("{}")]))); // PUBLISH before CONNECT
    for (let i = 0; i < N; i++) await raw(port, connectPacket(`c${i}`, "MQXX")); // bad protocol name
    expect((await limitHits(sec, "packet_size")) - before.size).toBe(N);
    expect((await limitHits(sec, "malformed_header")) - before.header).toBe(N);
    expect((await counter(sec, "linli_mqtt_protocol_errors_total")) - before.protocol).toBe(2 * N);
    // and pure noise: it may close as malformed or just end, but it never gets through or hangs the broker
    for (let i = 0; i < 200; i++) await raw(port, Buffer.from(Array.from({ length: int(300) + 1 }, () => int(256))));

    await goodRun;
    await good.endAsync();
    await Promise.all(clients.map((c) => c.endAsync()));

    // every fuzzed message and every good one is accounted for: accepted or rejected with a reason
    expect(sent).toBeGreaterThanOrEqual(FUZZ_MESSAGES);
    await waitFor("every message counted", () => metrics.totals.messagesIn + metrics.totals.rejected - countedBefore === sent + GOOD_MESSAGES, 30_000);
    expect(goodEvents).toBe(GOOD_MESSAGES);
    expect(goodRejects).toBe(0);
    expect(metrics.totals.rejected).toBeGreaterThan(sent / 2);
    for (const reason of ["malformed_json", "schema", "oversize", "bad_image", "device_mismatch"] as const) expect(metrics.rejectedByReason.get(reason) ?? 0, reason).toBeGreaterThan(0);
    expect(await counter(metrics.registry, "linli_messages_rejected_total")).toBe(metrics.totals.rejected);

    // still up: a fresh device gets in and is heard, health answers
    const after = await connectAs(tg.brokerUrl, "fresh", secrets.fresh);
    const mark = metrics.totals.messagesIn;
    await after.publishAsync(`linli/${SITE}/throw/fresh/status`, JSON.stringify({ ts: Date.now(), uptimeS: 2 }), { qos: 1 });
    await waitFor("fresh device heard", () => metrics.totals.messagesIn === mark + 1);
    await after.endAsync();
    const health = await fetch(`${tg.httpUrl}/healthz`);
    expect(health.status).toBe(200);

    gc();
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    expect(grownMiB, `heap grew ${grownMiB.toFixed(1)} MiB`).toBeLessThan(150);
    expect(tg.gateway.broker!.security.connections).toBe(0);
  }, 120_000);
});
