import { afterEach, describe, expect, it } from "vitest";
import type { DeviceEvent } from "../devices/types.ts";
import type { LiftState } from "../devices/lift.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { liftConfigSchema } from "../gateway/lift/config.ts";
import { sealCommand } from "../gateway/security/envelope.ts";
import type { RelayCommand } from "../gateway/lift/controller/relay-link.ts";
import type { HoldRecord } from "../gateway/lift/events.ts";
import { liftFeature, type LiftGuardFeature } from "../gateway/lift/feature.ts";
import { testCore, waitFor, type TestCore } from "./lift-helpers.ts";

let cores: TestCore[] = [];
let hosts: FeatureHost<LiftGuardFeature>[] = [];
let currentExt: LiftGuardFeature | null = null;
const ext = () => currentExt!;
afterEach(async () => {
  for (const h of hosts) await h.stop();
  for (const c of cores) await c.cleanup();
  hosts = [];
  cores = [];
});

function state(lift: string, s: Partial<LiftState>): DeviceEvent<LiftState> {
  const now = Date.now();
  return { site: "demo", kind: "lift", deviceId: lift, channel: "state", ts: now, receivedAt: now, data: { floor: 3, door: "open", moving: false, direction: "none", mode: "normal", ...s } };
}

function detection(core: TestCore, lift: string, score: number) {
  const now = Date.now();
  core.bus.emit("lift.detection", {
    site: "demo", lift, ts: now, frameTs: now, model: "test", ebike: score >= 0.5, ebikeScore: score, threshold: 0.5,
    detections: [], frameWidth: 640, frameHeight: 480, waitMs: 0, preprocessMs: 2, inferenceMs: 5, totalMs: 8, dropped: 0,
  });
}

async function relayRig(config: Record<string, unknown> = {}) {
  const core = await testCore("demo", undefined, config);
  cores.push(core);
  const cfg = liftConfigSchema.parse({ link: "relay", leaseMs: 4_000, renewMs: 1_000 });
  const host = await FeatureHost.start(liftFeature, core, cfg);
  hosts.push(host);
  const ext = host.feature;
  currentExt = ext;
  const cmds = () => core.memory.published.filter((p) => p.topic === "linli/demo/lift/r1/cmd").map((p) => ({ ...(JSON.parse(p.payload.toString()) as RelayCommand), retain: p.options?.retain, qos: p.options?.qos }));
  return { core, ext, cmds };
}

describe("relay-box mode", () => {
  it("holds through lift/<id>/cmd with a lease, never retained, using lift/<id>/state for the car", async () => {
    const { core, cmds } = await relayRig();
    core.bus.emit("device.event", state("r1", {}));
    for (let i = 0; i < 3; i++) detection(core, "r1", 0.9);
    await waitFor("hold command", () => cmds().find((c) => c.cmd === "hold"));
    const hold = cmds().find((c) => c.cmd === "hold")!;
    expect(hold.leaseMs).toBeGreaterThan(3_900);
    expect(hold.leaseMs).toBeLessThanOrEqual(4_000);
    expect(hold.until).toBeGreaterThan(Date.now());
    expect(hold.retain).toBe(false);
    expect(hold.qos).toBe(1);
    await waitFor("announce command", () => cmds().find((c) => c.cmd === "announce"));
    // the car starts moving (the relay box could not stop it): release at once
    core.bus.emit("device.event", state("r1", { moving: true, door: "closed", direction: "up" }));
    await waitFor("release command", () => cmds().find((c) => c.cmd === "release"));
    // Sealed: a fresh nonce on each, expiring a few seconds after it was sent.
    expect(new Set(cmds().map((c) => c.nonce)).size).toBe(cmds().length);
    for (const c of cmds()) expect(c.expiresAt - c.ts).toBe(5_000);
    const seqs = cmds().map((c) => c.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it("never holds without a known car state, and never when the car is moving", async () => {
    const { core, cmds } = await relayRig();
    for (let i = 0; i < 6; i++) detection(core, "r1", 0.95);
    core.bus.emit("device.event", state("r1", { moving: true, door: "closed", direction: "down" }));
    for (let i = 0; i < 6; i++) detection(core, "r1", 0.95);
    await new Promise((r) => setTimeout(r, 300)); // a few guard ticks
    expect(cmds()).toEqual([]);
  });

  it("a staff release over MQTT answers on the result topic (or the request's responseTopic), with errors for bad requests", async () => {
    const { core, cmds } = await relayRig();
    const holds: HoldRecord[] = [];
    core.bus.on("lift.hold", (h) => holds.push(h));
    core.bus.emit("device.event", state("r1", {}));
    for (let i = 0; i < 3; i++) detection(core, "r1", 0.9);
    await waitFor("held", () => cmds().find((c) => c.cmd === "hold"));
    await core.memory.publish("linli/demo/lift/r1/guard/set", JSON.stringify({ action: "release", by: "carol", requestId: "q1", responseTopic: "linli/demo/staff/carol/inbox" }));
    const answer = await waitFor("answer", () => core.memory.published.find((p) => p.topic === "linli/demo/staff/carol/inbox"));
    expect(JSON.parse(answer.payload.toString())).toMatchObject({ ok: true, requestId: "q1", lift: "r1" });
    expect(cmds().some((c) => c.cmd === "release")).toBe(true);
    await waitFor("end record", () => holds.find((h) => h.phase === "end"));
    expect(holds.find((h) => h.phase === "end")?.endReason).toBe("staff");
    await core.memory.publish("linli/demo/lift/r1/guard/set", JSON.stringify({ action: "release", requestId: "q2" }));
    const refused = await waitFor("refusal", () => core.memory.published.find((p) => p.topic === "linli/demo/lift/r1/guard/result" && p.payload.includes("q2")));
    expect(JSON.parse(refused.payload.toString())).toMatchObject({ ok: false, requestId: "q2" });
    await core.memory.publish("linli/demo/lift/nope/guard/set", JSON.stringify({ action: "release", by: "carol" }));
    const unknown = await waitFor("unknown lift", () => core.memory.published.find((p) => p.topic === "linli/demo/lift/nope/guard/result"));
    expect(JSON.parse(unknown.payload.toString())).toMatchObject({ ok: false, error: "unknown lift nope" });
  });

  it("refuses a responseTopic outside staff space, so a command cannot make the gateway publish on a device topic", async () => {
    const { core, cmds } = await relayRig();
    await core.memory.publish("linli/demo/lift/r1/guard/set", JSON.stringify({ action: "disable", minutes: 5, by: "mallory", requestId: "q3", responseTopic: "linli/demo/lift/r1/cmd" }));
    const refused = await waitFor("refusal", () => core.memory.published.find((p) => p.topic === "linli/demo/lift/r1/guard/result"));
    expect(JSON.parse(refused.payload.toString())).toMatchObject({ ok: false, requestId: "q3", error: expect.stringMatching(/^bad_response_topic/) });
    expect(cmds()).toEqual([]);
    expect(core.memory.published.filter((p) => p.topic === "linli/demo/lift/r1/cmd")).toEqual([]);
    expect(ext().status().r1?.disabledUntil ?? 0).toBe(0);
  });

  it("with an external broker, the command envelope is checked before the guard acts: unsealed and replayed commands are refused", async () => {
    const { core } = await relayRig({ broker: { mode: "external", url: "mqtt://broker.invalid:1883" }, security: { commands: { requireEnvelope: true, maxTtlMs: 60_000, replayCacheSize: 1_000 } } });
    core.bus.emit("device.event", state("r1", {}));
    detection(core, "r1", 0.1); // makes the guard for r1
    const answers = () => core.memory.published.filter((p) => p.topic === "linli/demo/lift/r1/guard/result").map((p) => JSON.parse(p.payload.toString()) as Record<string, unknown>);
    await core.memory.publish("linli/demo/lift/r1/guard/set", JSON.stringify({ action: "release", by: "carol", requestId: "u1" }));
    await waitFor("unsealed refused", () => answers().find((a) => a.requestId === "u1"));
    expect(answers().find((a) => a.requestId === "u1")).toMatchObject({ ok: false, error: expect.stringMatching(/^bad_envelope/) });
    const sealed = JSON.stringify(sealCommand({ action: "release", by: "carol", requestId: "s1" }, 30_000));
    await core.memory.publish("linli/demo/lift/r1/guard/set", sealed);
    await waitFor("sealed accepted", () => answers().find((a) => a.requestId === "s1"));
    expect(answers().find((a) => a.requestId === "s1")).toMatchObject({ ok: true });
    await core.memory.publish("linli/demo/lift/r1/guard/set", sealed);
    await waitFor("replay refused", () => answers().filter((a) => a.requestId === "s1").length === 2);
    expect(answers().filter((a) => a.requestId === "s1")[1]).toMatchObject({ ok: false, error: expect.stringMatching(/^replayed/) });
  });

  it("link none: observes, never commands", async () => {
    const core = await testCore();
    cores.push(core);
    const host = await FeatureHost.start(liftFeature, core, liftConfigSchema.parse({ link: "none" }));
    hosts.push(host);
    const ext = host.feature;
    core.bus.emit("device.event", state("r1", {}));
    for (let i = 0; i < 6; i++) detection(core, "r1", 0.95);
    await new Promise((r) => setTimeout(r, 300));
    expect(core.memory.published.filter((p) => p.topic.endsWith("/cmd"))).toEqual([]);
    expect(ext.status().r1?.holding).toBe(false);
  });
});
