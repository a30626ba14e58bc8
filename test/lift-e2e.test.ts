/**
 * End to end, real parts: camera frames published over MQTT to the gateway's embedded broker, the
 * ingest path, the detector with real weights (../shared/models) on real photos (../shared/images),
 * the lift guard, and the simulated lift controller over real OPC UA on 127.0.0.1.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsFeature } from "../gateway/alerts/feature.ts";
import { hashPassword } from "../gateway/security/password.ts";
import type { ConfigInput } from "../gateway/config.ts";
import { detectorFeature, type DetectorFeature } from "../gateway/detector/feature.ts";
import type { Point } from "../gateway/influx/point.ts";
import { liftConfigSchema, type LiftConfig } from "../gateway/lift/config.ts";
import type { HoldRecord, LiftAlert } from "../gateway/lift/events.ts";
import { liftFeature, type LiftGuardFeature } from "../gateway/lift/feature.ts";
import { startSimulatedController, type SimulatedController } from "../gateway/lift/sim/server.ts";
import { BICYCLE, NEGATIVES, image, tempDir, testConfig } from "./detector-fixtures.ts";
import { sleep, waitFor } from "./lift-helpers.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const SITE = "e2e";
const timing = { doorDwellMs: 3_000, doorMoveMs: 400, msPerFloor: 500 };
// F1 starts at floor 1 (the fire recall floor); the others elsewhere
const LIFTS = ["F1", "E1", "E2", "E4", "E5"];

interface Rig {
  gw: TestGateway;
  camera: MqttClient;
  guard: LiftGuardFeature;
  detector: DetectorFeature;
  holds: HoldRecord[];
  alerts: LiftAlert[];
  points: Point[];
}

async function startRig(cfg: LiftConfig, detectorOverrides = {}, more: ConfigInput = {}): Promise<Rig> {
  // the gateway's own wiring: config keys `detector` and `lift`
  const gw = await startTestGateway({ site: SITE, influx: { enabled: false }, detector: testConfig(detectorOverrides), lift: cfg, ...more });
  const points: Point[] = [];
  const original = gw.gateway.core.writePoint;
  gw.gateway.core.writePoint = (p) => {
    points.push(p);
    original(p);
  };
  const detector = gw.gateway.feature(detectorFeature);
  const guard = gw.gateway.feature(liftFeature);
  if (!detector || !guard) throw new Error("the gateway did not start the detector and the lift guard");
  await detector.ready();
  const holds: HoldRecord[] = [];
  const alerts: LiftAlert[] = [];
  gw.gateway.core.bus.on("lift.hold", (h) => holds.push(h));
  gw.gateway.core.bus.on("lift.alert", (a) => alerts.push(a));
  // MQTT 3.1.1: the embedded aedes refuses MQTT 5, so frames carry no ts property and the latency
  // budget starts at the gateway's receive time
  const camera = await gw.client();
  return { gw, camera, guard, detector, holds, alerts, points };
}

/** A lift camera: frames at `fps` for `ms`, cycling through `frames`. */
async function stream(camera: MqttClient, lift: string, frames: Buffer[], ms: number, fps = 5): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end; i++) {
    const frame = frames[i % frames.length]!;
    await camera.publishAsync(`linli/${SITE}/lift/${lift}/frame`, frame, { qos: 0 });
    await sleep(1000 / fps);
  }
}

let sim: SimulatedController;
let rig: Rig;
const STAFF_PASSWORD = "lift-staff-password";
let bicycle: Buffer;
let negatives: Buffer[];
const holdWrites = new Map<string, number>();

const cfgFor = (endpoint: string) =>
  liftConfigSchema.parse({
    link: "opcua",
    opcua: { endpoint, reconnectInitialMs: 100, reconnectMaxMs: 1_000 },
    lifts: Object.fromEntries(LIFTS.map((id) => [id, {}])),
    leaseMs: 3_000,
    renewMs: 1_000,
    clearReleaseMs: 2_000,
    // generous: the test machine runs other detectors at the same time
    frameStaleMs: 5_000,
    maxHoldMs: 60_000,
  });

beforeAll(async () => {
  bicycle = await image(BICYCLE);
  negatives = await Promise.all(NEGATIVES.map(image));
  sim = await startSimulatedController({ port: 0, lifts: LIFTS, timing, minFloor: 1, maxFloor: 30 });
  sim.events.on("hold", (id: string, h: { result: string }) => {
    if (h.result === "accepted") holdWrites.set(id, (holdWrites.get(id) ?? 0) + 1);
  });
  rig = await startRig(cfgFor(sim.endpoint), {}, { alerts: { console: { accounts: [{ user: "bob", passwordHash: await hashPassword(STAFF_PASSWORD) }] } } });
  await waitFor("guard sees every car over OPC UA", () => LIFTS.every((id) => rig.guard.status()[id]?.car), 20_000);
}, 120_000);

afterAll(async () => {
  await rig?.gw.stop();
  await sim?.stop();
});

async function openDoors(id: string): Promise<void> {
  sim.call(id, sim.state(id).floor);
  await waitFor(`${id} doors open`, () => rig.guard.status()[id]?.car?.door === "open");
}

/**
 * The rider keeps pressing the landing button while wheeling the e-bike in (each press restarts the
 * dwell), until `done`: so a slow detector on a loaded test machine does not race the dwell.
 */
async function pressUntil<T>(id: string, what: string, done: () => T | false | undefined, timeoutMs = 15_000): Promise<T> {
  const timer = setInterval(() => {
    if (sim.state(id).door === "open") sim.call(id, sim.state(id).floor);
  }, 500);
  try {
    return await waitFor(what, done, timeoutMs);
  } finally {
    clearInterval(timer);
  }
}

describe.sequential("lift guard end to end", () => {
  it("an e-bike while the doors are open: hold, announcement, doors kept past the dwell; clear frames: release; recorded with evidence", async () => {
    await openDoors("E1");
    const streaming = stream(rig.camera, "E1", [bicycle], 5_000);
    await pressUntil("E1", "E1 held on the controller", () => sim.state("E1").holdActive);
    const heldAt = Date.now();
    await streaming;
    await sleep(Math.max(0, heldAt + timing.doorDwellMs + 500 - Date.now()));
    expect(sim.state("E1").door).toBe("open"); // nobody pressed since the hold began: held past the dwell
    expect(sim.state("E1").holdActive).toBe(true);
    expect(sim.car("E1").announcements.map((a) => a.text)).toContain(liftConfigSchema.parse({}).announcement);
    const clearing = stream(rig.camera, "E1", negatives, 4_000);
    await waitFor("E1 hold ended", () => rig.holds.find((h) => h.lift === "E1" && h.phase === "end"), 8_000);
    await clearing;
    await waitFor("E1 released on the controller", () => !sim.state("E1").holdActive, 4_000);
    await waitFor("E1 doors close", () => sim.state("E1").door === "closed", 6_000);

    const start = rig.holds.find((h) => h.lift === "E1" && h.phase === "start")!;
    const end = rig.holds.find((h) => h.lift === "E1" && h.phase === "end")!;
    expect(rig.holds.filter((h) => h.lift === "E1" && h.phase === "start")).toHaveLength(1);
    expect(end.endReason).toBe("cleared");
    expect(end.durationMs).toBeGreaterThan(2_000);
    expect(start.written).toBe(true);
    expect(start.latencyMs).toBeGreaterThanOrEqual(0);
    expect(start.latencyMs).toBeLessThan(3_000);
    // the evidence is the e-bike frame, under its SHA-256, in the gateway's one evidence store
    expect(start.evidence).toBeDefined();
    const store = rig.gw.gateway.core.evidence;
    const kept = store.get(start.evidence!.id);
    expect(kept?.sha256).toBe(start.evidence!.sha256);
    const file = store.path(kept!);
    const saved = await readFile(file);
    expect(createHash("sha256").update(saved).digest("hex")).toBe(start.evidence!.sha256);
    expect(saved.equals(bicycle)).toBe(true);
    expect(file.startsWith(store.dir + path.sep)).toBe(true);
    expect(existsSync(path.join(rig.gw.dataDir, "lift", "evidence"))).toBe(false);
    // InfluxDB points: lift_block start and end, and the latency point
    const blocks = rig.points.filter((p) => p.measurement === "lift_block" && p.tags.lift === "E1");
    expect(blocks.map((p) => p.tags.phase)).toEqual(["start", "end"]);
    expect(blocks[1]!.tags.end_reason).toBe("cleared");
    expect(blocks[1]!.fields.duration_ms).toBe(end.durationMs);
    expect(blocks[0]!.fields.evidence_sha256).toBe(start.evidence!.sha256);
    expect(rig.points.some((p) => p.measurement === "lift_hold_latency" && p.tags.lift === "E1")).toBe(true);
    const metrics = await rig.gw.gateway.core.metrics.getSingleMetricAsString("linli_lift_hold_latency_seconds");
    expect(metrics).toMatch(/linli_lift_hold_latency_seconds_count\{[^}]*lift="E1"[^}]*\} 1$/m);
  }, 60_000);

  it("the same frames while the car is moving, or in fire mode with its doors open: no hold", async () => {
    sim.call("E2", sim.state("E2").floor > 15 ? 1 : 30); // a long trip
    await waitFor("E2 moving", () => rig.guard.status().E2?.car?.moving);
    await openDoors("F1");
    sim.setMode("F1", "fire"); // at the recall floor: firefighter service, doors stay open
    await waitFor("F1 in fire mode", () => rig.guard.status().F1?.car?.mode === "fire");
    await Promise.all([stream(rig.camera, "E2", [bicycle], 3_000), stream(rig.camera, "F1", [bicycle], 3_000)]);
    expect(sim.state("F1").door).toBe("open");
    expect(rig.guard.status().E2?.car?.moving).toBe(true);
    expect(holdWrites.get("E2") ?? 0).toBe(0);
    expect(holdWrites.get("F1") ?? 0).toBe(0);
    expect(rig.holds.filter((h) => h.lift === "E2" || h.lift === "F1")).toEqual([]);
    // the detector did see an e-bike in those frames: it is the guard that refused
    expect(rig.guard.status().F1?.window.filter((s) => s >= 0.3).length).toBeGreaterThanOrEqual(3);
    sim.setMode("F1", "normal");
  }, 60_000);

  it("flapping scores do not flap the hold", async () => {
    await openDoors("E4");
    const flapping = [bicycle, negatives[0]!, bicycle, negatives[1]!]; // e-bike on every other frame
    const streaming = stream(rig.camera, "E4", flapping, 8_000);
    await pressUntil("E4", "E4 held", () => sim.state("E4").holdActive);
    await streaming;
    const e4 = () => rig.holds.filter((h) => h.lift === "E4");
    expect(e4().map((h) => h.phase)).toEqual(["start"]);
    expect(sim.state("E4").holdActive).toBe(true);
    await stream(rig.camera, "E4", negatives, 3_000);
    await waitFor("E4 released", () => e4().some((h) => h.phase === "end"), 3_000);
    expect(e4().map((h) => [h.phase, h.endReason])).toEqual([
      ["start", undefined],
      ["end", "cleared"],
    ]);
  }, 60_000);

  it("staff release over MQTT request/response and disable over HTTP work and are audited", async () => {
    await openDoors("E5");
    const streaming = stream(rig.camera, "E5", [bicycle], 7_000);
    await pressUntil("E5", "E5 held", () => sim.state("E5").holdActive);
    const staff = await rig.gw.client();
    await staff.subscribeAsync(`linli/${SITE}/lift/E5/guard/result`);
    const response = new Promise<Record<string, unknown>>((resolve) => staff.once("message", (_t, payload) => resolve(JSON.parse(payload.toString()) as Record<string, unknown>)));
    await staff.publishAsync(`linli/${SITE}/lift/E5/guard/set`, JSON.stringify({ action: "release", by: "alice", requestId: "r-1" }), { qos: 1 });
    const answer = await response;
    expect(answer).toMatchObject({ ok: true, lift: "E5", action: "release", requestId: "r-1" });
    expect(String(answer.result)).toMatch(/^released hold /);
    expect(sim.state("E5").holdActive).toBe(false); // released before the answer
    await streaming; // the e-bike is still there: a staff release is not undone by the next frames
    expect(rig.holds.filter((h) => h.lift === "E5" && h.phase === "start")).toHaveLength(1);
    expect(rig.holds.find((h) => h.lift === "E5" && h.phase === "end")?.endReason).toBe("staff");

    // The HTTP API takes the console's login: a claimed name alone is refused.
    const claimed = await fetch(`${rig.gw.httpUrl}/api/lifts/E5/disable`, { method: "POST", headers: { "content-type": "application/json", "x-linli-user": "bob" }, body: JSON.stringify({ minutes: 5 }) });
    expect(claimed.status).toBe(401);
    const login = await fetch(`${rig.gw.httpUrl}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ user: "bob", password: STAFF_PASSWORD }).toString() });
    expect(login.status).toBe(303);
    const cookie = (login.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const res = await fetch(`${rig.gw.httpUrl}/api/lifts/E5/disable`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ minutes: 5 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, lift: "E5", action: "disable" });
    const audit = (await readFile(path.join(rig.gw.dataDir, "lift", "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.map((a) => [a.by, a.via, a.action])).toEqual([
      ["alice", "mqtt", "release"],
      ["bob", "http", "disable"],
    ]);
    expect((await fetch(`${rig.gw.httpUrl}/api/lifts`)).status).toBe(401);
    const list = (await (await fetch(`${rig.gw.httpUrl}/api/lifts`, { headers: { cookie } })).json()) as Record<string, { disabledUntil: number }>;
    expect(list.E5?.disabledUntil).toBeGreaterThan(Date.now());
    await staff.endAsync();
  }, 60_000);
});

describe("lift guard end to end: detector fault", () => {
  it("with the model missing, e-bike frames never produce a hold, and a fault alert is raised", async () => {
    const own = await startSimulatedController({ port: 0, lifts: ["X1"], timing, minFloor: 1, maxFloor: 10 });
    const cfg = liftConfigSchema.parse({ opcua: { endpoint: own.endpoint }, lifts: { X1: {} }, leaseMs: 3_000, renewMs: 1_000, frameStaleMs: 2_000 });
    // with the alerts feature on: the fault must reach staff through the real alerts path
    const r = await startRig(cfg, { mirror: tempDir("empty-mirror"), autoFetch: false }, { alerts: { console: { enabled: false }, rules: { liftFaultGraceMs: 500 } } });
    let writes = 0;
    own.events.on("hold", () => writes++);
    try {
      await waitFor("X1 car seen", () => r.guard.status().X1?.car, 20_000);
      own.call("X1", own.state("X1").floor);
      await waitFor("X1 doors open", () => r.guard.status().X1?.car?.door === "open");
      await stream(r.camera, "X1", [bicycle], 3_000);
      expect(writes).toBe(0);
      expect(r.holds).toEqual([]);
      expect(r.guard.status().X1?.fault).toMatch(/model|missing|unavailable/);
      const alertsExt = r.gw.gateway.feature(alertsFeature);
      const open = () => (alertsExt?.store?.unresolved() ?? []).filter((a) => a.place.device === "X1").map((a) => a.type);
      await waitFor("the fault alerted after its grace", () => open().length > 0, 5_000);
      expect(open()).toEqual(["lift_fault"]);
    } finally {
      await r.gw.stop();
      await own.stop();
    }
  }, 60_000);
});
