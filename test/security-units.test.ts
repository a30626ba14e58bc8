import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deviceKinds } from "../devices/index.ts";
import { CommandVerifier, sealCommand } from "../gateway/security/envelope.ts";
import { FailureSlowdown, PacketSizeGuard, TokenBucket } from "../gateway/security/limits.ts";
import { hashPassword, mosquittoHash, verifyMosquittoHash, verifyPassword } from "../gateway/security/password.ts";
import { TopicPolicy, type Identity } from "../gateway/security/policy.ts";
import { DeviceRegistry } from "../gateway/security/registry.ts";
import { tempDir } from "./services/process.ts";
import { TEST_COST } from "./security-fixtures.ts";

describe("password hashes", () => {
  it("scrypt: the right secret verifies, a wrong one or a mangled hash does not", async () => {
    const h = await hashPassword("s3cret", TEST_COST);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword("s3cret", h)).toBe(true);
    expect(await verifyPassword("s3cret ", h)).toBe(false);
    expect(await verifyPassword("s3cret", h.replace(/.\$/, "A$"))).toBe(false);
    expect(await verifyPassword("s3cret", "plain")).toBe(false);
  });

  it("Mosquitto $7$: ours is what mosquitto_passwd would check, and we read what it writes", async () => {
    const dir = tempDir("mosq-pw");
    try {
      const file = join(dir, "pw");
      execFileSync("mosquitto_passwd", ["-c", "-b", file, "dev", "hunter2-long"]);
      const theirs = readFileSync(file, "utf8").trim().split(":")[1]!;
      expect(await verifyMosquittoHash("hunter2-long", theirs)).toBe(true);
      expect(await verifyMosquittoHash("hunter3-long", theirs)).toBe(false);
      const ours = await mosquittoHash("hunter2-long");
      expect(ours).toMatch(/^\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
      expect(await verifyMosquittoHash("hunter2-long", ours)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("packet-size guard", () => {
  const publish = (bodyLength: number) => {
    const len: number[] = [];
    let x = bodyLength;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) b |= 0x80;
      len.push(b);
    } while (x > 0);
    return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(bodyLength, 7)]);
  };

  it("follows packet boundaries across any chunking and refuses the first packet over the limit", () => {
    const stream = Buffer.concat([publish(10), publish(200), publish(0), publish(1_000), publish(20_000), publish(5)]);
    for (const size of [1, 2, 3, 7, 64, 1_000, stream.length]) {
      const g = new PacketSizeGuard(21_000);
      let allOk = true;
      for (let i = 0; i < stream.length; i += size) allOk &&= g.feed(stream.subarray(i, i + size)).ok;
      expect(allOk).toBe(true);
      const small = new PacketSizeGuard(1_100);
      const verdicts = [];
      for (let i = 0; i < stream.length; i += size) verdicts.push(small.feed(stream.subarray(i, i + size)));
      expect(verdicts.find((v) => !v.ok)).toEqual({ ok: false, reason: "packet_size", declared: 1 + 3 + 20_000 });
    }
  });

  it("refuses a remaining length longer than four bytes", () => {
    expect(new PacketSizeGuard(1e9).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("token bucket and login slowdown", () => {
  it("allows the burst, then makes callers wait, then refuses past the longest wait", () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0, 1_000), b.take(0, 1_000), b.take(0, 1_000)]).toEqual([0, 0, 0]);
    expect(b.take(0, 1_000)).toBe(100);
    expect(b.take(0, 1_000)).toBe(200);
    expect(b.take(0, 250)).toBe(-1);
    expect(b.take(1_000, 1_000)).toBe(0); // refilled
  });

  it("slows an address down after its free attempts, doubling to a cap, and forgets it", () => {
    const s = new FailureSlowdown({ freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1_000, forgetAfterMs: 60_000, maxAddresses: 2 });
    const delays = [];
    for (let i = 0; i < 7; i++) {
      delays.push(s.delayFor("10.0.0.1", i));
      s.failed("10.0.0.1", i);
    }
    expect(delays).toEqual([0, 0, 0, 100, 200, 400, 800]);
    expect(s.delayFor("10.0.0.1", 10)).toBe(1_000);
    expect(s.delayFor("10.0.0.2", 10)).toBe(0);
    expect(s.delayFor("10.0.0.1", 70_000)).toBe(0);
    for (const a of ["a", "b", "c"]) s.failed(a, 0);
    expect(s.addresses).toBe(2);
    // a success clears the record at once
    for (let i = 0; i < 5; i++) s.failed("10.0.0.3", 80_000);
    expect(s.delayFor("10.0.0.3", 80_000)).toBeGreaterThan(0);
    s.forget("10.0.0.3");
    expect(s.delayFor("10.0.0.3", 80_000)).toBe(0);
  });
});

describe("command envelope", () => {
  it("accepts a sealed command once, refuses replays, late ones and far-future ones, and forgets old nonces", () => {
    let now = 1_000_000;
    const v = new CommandVerifier({ maxTtlMs: 60_000, maxEntries: 3, now: () => now });
    const cmd = sealCommand({ action: "hold" }, 10_000, now);
    const ok = v.verify(cmd);
    expect(ok).toEqual({ ok: true, command: { action: "hold" }, nonce: cmd.nonce, expiresAt: now + 10_000 });
    expect(v.verify(cmd)).toMatchObject({ ok: false, reason: "replayed" });
    expect(v.verify({ ...cmd, nonce: "x".repeat(16) })).toMatchObject({ ok: true });
    expect(v.verify(sealCommand({}, 120_000, now))).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(v.verify({ action: "hold", nonce: "short", expiresAt: now + 1 })).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(v.verify({ action: "hold", nonce: "y".repeat(16) })).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(v.verify("hold")).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(v.verify(sealCommand({}, 5_000, now - 10_000))).toMatchObject({ ok: false, reason: "expired" });
    expect(v.verify(sealCommand({}, 10_000, now))).toMatchObject({ ok: true });
    expect(v.verify(sealCommand({}, 10_000, now))).toMatchObject({ ok: false, reason: "replay_cache_full" });
    now += 61_000; // every nonce is past any expiry it could have had
    expect(v.verify(sealCommand({}, 10_000, now))).toMatchObject({ ok: true });
    expect(v.size).toBe(1);
    // the replayed command is now late, not accepted
    expect(v.verify(cmd)).toMatchObject({ ok: false, reason: "expired" });
  });
});

describe("topic policy", () => {
  const p = new TopicPolicy("s1", deviceKinds);
  const lift: Identity = { type: "device", id: "L1", kind: "lift", site: "s1" };
  const staff: Identity = { type: "account", id: "alice", role: "staff", site: "s1" };
  const gw: Identity = { type: "account", id: "gw", role: "gateway", site: "s1" };
  const anon: Identity = { type: "anonymous" };
  const pub = (who: Identity, topic: string) => {
    const d = p.canPublish(who, topic);
    return d.ok ? "ok" : d.reason;
  };
  const sub = (who: Identity, filter: string) => {
    const d = p.canSubscribe(who, filter);
    return d.ok ? "ok" : d.reason;
  };

  it("publish", () => {
    expect(pub(lift, "linli/s1/lift/L1/state")).toBe("ok");
    expect(pub(lift, "linli/s1/lift/L1/frame")).toBe("ok");
    expect(pub(lift, "linli/s1/lift/L2/state")).toBe("foreign_topic");
    expect(pub(lift, "linli/s1/lift/L1/bogus")).toBe("foreign_topic");
    expect(pub(lift, "linli/s1/lift/L1/state/x")).toBe("foreign_topic");
    expect(pub(lift, "linli/s1/lift/L1/cmd")).toBe("device_command");
    expect(pub(lift, "linli/s1/lift/L1/guard/set")).toBe("device_command");
    expect(pub(lift, "linli/s1/gate/L1/event")).toBe("foreign_topic");
    expect(pub(lift, "linli/s2/lift/L1/state")).toBe("other_site");
    expect(pub(lift, "$SYS/x")).toBe("sys_topic");
    expect(pub(staff, "linli/s1/lift/L1/guard/set")).toBe("ok");
    expect(pub(staff, "linli/s1/charger/C1/cmd")).toBe("ok");
    expect(pub(staff, "linli/s1/alerts/a1")).toBe("ok");
    expect(pub(staff, "linli/s1/staff/alice/r")).toBe("ok");
    expect(pub(staff, "linli/s1/staff/bob/r")).toBe("not_allowed");
    expect(pub(staff, "linli/s1/lift/L1/state")).toBe("not_allowed");
    expect(pub(staff, "linli/s1/gateway/status")).toBe("not_allowed");
    expect(pub(gw, "linli/s1/gateway/status")).toBe("ok");
    expect(pub(gw, "linli/s2/gateway/status")).toBe("other_site");
    expect(pub(anon, "anything/at/all")).toBe("ok");
    expect(pub(anon, "$SYS/x")).toBe("sys_topic");
  });

  it("subscribe", () => {
    expect(sub(lift, "linli/s1/lift/L1/cmd")).toBe("ok");
    expect(sub(lift, "linli/s1/lift/L2/cmd")).toBe("foreign_topic");
    expect(sub(lift, "linli/s1/lift/+/cmd")).toBe("foreign_topic");
    expect(sub(lift, "linli/s1/lift/L1/#")).toBe("foreign_topic");
    expect(sub(lift, "#")).toBe("other_site");
    expect(sub(staff, "linli/s1/#")).toBe("ok");
    expect(sub(staff, "linli/+/#")).toBe("other_site");
    expect(sub(staff, "$SYS/#")).toBe("sys_topic");
    expect(sub(gw, "linli/s1/+/+/+")).toBe("ok");
  });
});

describe("registry file", () => {
  it("round-trips, refuses duplicate ids across devices and accounts, normalises fingerprints", () => {
    const r = new DeviceRegistry();
    r.addDevice({ id: "L1", kind: "lift", site: "s1", password: "scrypt$1$1$1$AA==$AA==", fingerprint: "AB:".repeat(31) + "AB", disabled: false });
    r.addAccount({ id: "alice", role: "staff", site: "s1", disabled: false });
    expect(() => r.addAccount({ id: "L1", role: "staff", site: "s1", disabled: false })).toThrow(/already/);
    const back = DeviceRegistry.parse(r.toYaml());
    expect(back.get("L1")).toMatchObject({ type: "device", kind: "lift", fingerprint: "ab".repeat(32) });
    expect(back.byFingerprint("AB".repeat(32))?.id).toBe("L1");
    expect(back.get("alice")).toMatchObject({ type: "account", role: "staff" });
    expect(() => DeviceRegistry.parse("devices:\n  - id: L2\n    kind: lift\n    site: s1\n    password: hunter2\n")).toThrow(/devices\.0\.password: must be a scrypt hash/);
  });
});
