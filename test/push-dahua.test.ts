import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceEvent } from "../devices/types.ts";
import type { DahuaStatus } from "../gateway/push/dahua-ingest.ts";
import { attachPath } from "../gateway/push/dahua-attach.ts";
import { digestAuthorization, digestChallenge } from "../gateway/push/dahua-digest.ts";
import { mapDahuaEvent } from "../gateway/push/dahua-map.ts";
import { DigestAuth, digestVerifier, parseDigest } from "../gateway/push/digest.ts";
import { boundaryOf, MultipartSplitter, parseDahuaPart } from "../gateway/push/dahua-stream.ts";
import { dahuaConfigSchema } from "../gateway/push/dahua-config.ts";
import { SimulatedDahuaDevice } from "../gateway/simulate/dahua-device.ts";
import { counter } from "./security-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort, waitFor } from "./services/ports.ts";

const SITE = "demo";
const SALT = "dahua-salt";
const protect = (v: string) => `h:${createHmac("sha256", SALT).update(v).digest("hex").slice(0, 16)}`;
const now = () => Math.floor(Date.now() / 1000);

/** A TrafficJunction event as an ITC camera's attach stream carries it (fields from a real ITC capture, trimmed). */
function trafficJunction(plate: string, eventId: number, way = "Obverse") {
  return {
    Class: "Traffic",
    CountInGroup: 1,
    EventID: eventId,
    GroupID: 175706600 + eventId,
    JunctionDirection: way,
    Lane: 1,
    Name: "TrafficTollGate0",
    Object: { Action: "Appear", ObjectType: "Plate", Text: plate, Confidence: 92, BoundingBox: [4544, 3000, 5200, 3300] },
    PTS: 42994650150.0,
    RealUTC: now(),
    // the device's local time (UTC+8), as many firmwares stamp UTC
    UTC: now() + 8 * 3600,
    UTCMS: 305,
    TrafficCar: { PlateNumber: plate, PlateColor: "Blue", PlateType: "Normal", VehicleColor: "White", AllowUser: true, DrivingDirection: ["Approach", "Car come in", "Car go out"], Event: "TrafficJunction", Lane: 1 },
  };
}

describe("Dahua event stream into a real gateway and InfluxDB", () => {
  let influx: Influxd;
  let gw: TestGateway;
  let anpr: SimulatedDahuaDevice;
  let door: SimulatedDahuaDevice;
  let tower: SimulatedDahuaDevice;
  let locked: SimulatedDahuaDevice;
  const events: DeviceEvent[] = [];
  const statuses: DahuaStatus[] = [];
  const rejected: { topic: string; reason: string }[] = [];
  const WRONG = `wr0ng-${process.pid}-${Date.now()}`;
  let nobodyPort: number;
  /** an HTTP server that is not a Dahua device (a Hikvision camera's address typed in by mistake) */
  let notDahua: Server;

  async function rows(q: string): Promise<Record<string, unknown>[]> {
    const series = await influx.query("linli", q);
    return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
  }
  async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    let value: T | undefined;
    await waitFor(what, async () => (value = await get()) !== undefined, timeoutMs);
    return value as T;
  }
  const metric = (name: string, labels: Record<string, string>) => counter(gw.gateway.metrics.registry, name, labels);
  const online = (device: string) => statuses.filter((s) => s.deviceId === device && s.state === "online").length;

  beforeAll(async () => {
    influx = await startInfluxd();
    anpr = await SimulatedDahuaDevice.start({ user: "admin", password: "anpr-pass-1" });
    door = await SimulatedDahuaDevice.start({ user: "admin", password: "door-pass-1" });
    tower = await SimulatedDahuaDevice.start({ user: "linli", password: "tower-pass-1" });
    locked = await SimulatedDahuaDevice.start({ user: "admin", password: "the-real-one" });
    nobodyPort = await freePort();
    notDahua = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => notDahua.listen(0, "127.0.0.1", r));
    gw = await startTestGateway({
      site: SITE,
      influx: { url: influx.url },
      privacy: { ids: "hash", salt: SALT },
      push: {
        enabled: true,
        dahua: {
          heartbeatS: 1,
          staleMs: 2_500,
          backoff: { minMs: 100, maxMs: 800 },
          devices: [
            { id: "itc-north", kind: "gate", url: anpr.url, user: "admin", password: "anpr-pass-1", codes: ["TrafficJunction"] },
            { id: "door-east", kind: "gate", url: door.url, user: "admin", password: "door-pass-1" },
            { id: "tower-3", kind: "throw", url: tower.url, user: "linli", password: "tower-pass-1", building: "3" },
            { id: "itc-locked", kind: "gate", url: locked.url, user: "admin", password: WRONG },
            { id: "itc-hikvision", kind: "gate", url: `http://127.0.0.1:${(notDahua.address() as AddressInfo).port}`, user: "admin", password: WRONG },
            { id: "itc-nowhere", kind: "gate", url: `http://127.0.0.1:${nobodyPort}`, user: "admin", password: WRONG },
          ],
        },
      },
    });
    gw.gateway.core.bus.on("device.event", (e) => void events.push(e));
    gw.gateway.core.bus.on("dahua.status", (s) => void statuses.push(s));
    gw.gateway.core.bus.on("device.rejected", (r) => void rejected.push(r));
    await waitFor("the three good devices attached", () => anpr.streams === 1 && door.streams === 1 && tower.streams === 1, 15_000);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([anpr, door, tower, locked].map((d) => d?.stop()));
    notDahua?.close();
    await influx?.stop();
  });

  it("logs in with Digest and turns a TrafficJunction plate into a gate_pass point (plate hashed); a Stop and other codes are ignored", async () => {
    expect(anpr.attaches).toBe(1);
    anpr.send("TrafficJunction", "Pulse", 0, trafficJunction("沪A12345", 516));
    anpr.send("VideoMotion", "Start", 0);
    anpr.send("TrafficJunction", "Stop", 0, trafficJunction("沪A12345", 517));
    const found = await until("gate point", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE gate = 'itc-north'`);
      return r.length ? r : undefined;
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ method: "plate", direction: "in", granted: "true", subject: protect("沪A12345"), plate_color: "blue", confidence: 0.92, count: 1 });
    expect(JSON.stringify(found)).not.toContain("沪A12345");
    const event = events.find((e) => e.deviceId === "itc-north" && e.channel === "event")!;
    expect(event).toMatchObject({ site: SITE, kind: "gate", data: { method: "plate", plate: "沪A12345" } });
    // RealUTC, not the local-time UTC field, is the event's time
    expect(Math.abs(event.ts - Date.now())).toBeLessThan(10_000);
    expect(await metric("linli_dahua_parts_total", { device: "itc-north", outcome: "ignored" })).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("heartbeats keep the device alive: a device_heartbeat point, the device up", async () => {
    const hb = await until("heartbeat point", async () => {
      const r = await rows(`SELECT * FROM device_heartbeat WHERE device = 'tower-3'`);
      return r.length ? r : undefined;
    });
    expect(hb[0]).toMatchObject({ kind: "throw" });
    expect(await metric("linli_dahua_parts_total", { device: "tower-3", outcome: "heartbeat" })).toBeGreaterThan(0);
    expect(await metric("linli_dahua_up", { device: "tower-3" })).toBe(1);
  }, 30_000);

  it("an AccessControl face pass and a card refusal are gate events; a tripwire on a throw camera is a throw event", async () => {
    door.send("AccessControl", "Pulse", 0, { Name: "Door1", Method: 15, UserID: "p-00042", CardNo: "", Status: 1, Type: "Entry", RealUTC: now(), UTC: now() });
    door.send("AccessControl", "Pulse", 0, { Name: "Door1", Method: 1, UserID: "", CardNo: "A1B2C3D4", Status: 0, Type: "Exit", ErrorCode: 16, RealUTC: now(), UTC: now() });
    tower.send("CrossLineDetection", "Start", 0, { Name: "Facade", Class: "Normal", EventID: 9001, Object: { ObjectType: "Unknown", Center: [4096, 2048] }, RealUTC: now(), UTC: now() });
    const passes = await until("door points", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE gate = 'door-east'`);
      return r.length >= 2 ? r : undefined;
    });
    expect(passes.find((p) => p.method === "face")).toMatchObject({ direction: "in", granted: "true", subject: protect("p-00042") });
    expect(passes.find((p) => p.method === "card")).toMatchObject({ direction: "out", granted: "false", subject: protect("A1B2C3D4") });
    const throws = await until("throw point", async () => {
      const r = await rows(`SELECT * FROM throw_event WHERE camera = 'tower-3'`);
      return r.length ? r : undefined;
    });
    expect(throws[0]).toMatchObject({ building: "3", confidence: 1, count: 1 });
    expect(events.find((e) => e.kind === "throw" && e.channel === "event")?.data).toMatchObject({ building: "3", floor: null, track: [{ t: 0, x: 0.5, y: 0.25 }] });
  }, 30_000);

  it("bad events get MQTT's reject reasons and the rejected topic: a direction the config does not map (schema), data that is not JSON", async () => {
    const schemaBefore = await metric("linli_messages_rejected_total", { reason: "schema" });
    const malformedBefore = await metric("linli_messages_rejected_total", { reason: "malformed_json" });
    const sub = await gw.client();
    const published: string[] = [];
    sub.on("message", (_t, p) => published.push(p.toString()));
    await sub.subscribeAsync(`linli/${SITE}/gateway/rejected`);
    anpr.send("TrafficJunction", "Pulse", 0, { ...trafficJunction("沪B00001", 600, "Sideways"), TrafficCar: { PlateNumber: "沪B00001" } });
    anpr.sendRaw("--myboundary\r\nContent-Type: text/plain\r\nContent-Length:48\r\n\r\nCode=TrafficJunction;action=Pulse;index=0;data={\r\n");
    anpr.sendRaw("--myboundary\r\nContent-Type: text/plain\r\nContent-Length:9\r\n\r\nHeartbeat\r\n");
    await waitFor("both rejections", async () => (await metric("linli_messages_rejected_total", { reason: "schema" })) > schemaBefore && (await metric("linli_messages_rejected_total", { reason: "malformed_json" })) > malformedBefore);
    await waitFor("rejected topic", () => published.length >= 2);
    expect(rejected.filter((r) => r.topic === `linli/${SITE}/gate/itc-north/event`).map((r) => r.reason)).toEqual(expect.arrayContaining(["schema", "malformed_json"]));
    // the stream survived the bad parts
    anpr.send("TrafficJunction", "Pulse", 0, trafficJunction("沪C77777", 601));
    await until("the next plate", async () => ((await rows(`SELECT * FROM gate_pass WHERE subject = '${protect("沪C77777")}'`)).length ? true : undefined));
  }, 30_000);

  it("a dropped stream is a fault: the device goes offline, and the gateway attaches again by itself", async () => {
    const before = online("itc-north");
    anpr.drop();
    await waitFor("offline", () => statuses.some((s) => s.deviceId === "itc-north" && s.state === "offline" && s.fault === "dropped"));
    expect(await metric("linli_dahua_faults_total", { device: "itc-north", fault: "dropped" })).toBe(1);
    await waitFor("online again", () => online("itc-north") > before && anpr.streams === 1, 10_000);
    expect(await metric("linli_dahua_up", { device: "itc-north" })).toBe(1);
    anpr.send("TrafficJunction", "Pulse", 0, trafficJunction("浙D55555", 700, "Reverse"));
    const r = await until("a plate after the reconnect", async () => {
      const found = await rows(`SELECT * FROM gate_pass WHERE subject = '${protect("浙D55555")}'`);
      return found.length ? found : undefined;
    });
    expect(r[0]).toMatchObject({ direction: "out" });
  }, 30_000);

  it("a stream that goes silent (no heartbeat) is dropped as stalled and attached again", async () => {
    const before = online("door-east");
    // the device keeps the socket but writes nothing: only the heartbeat watchdog can tell
    door.freeze();
    await waitFor("stalled", () => statuses.some((s) => s.deviceId === "door-east" && s.fault === "stalled"), 10_000);
    expect(statuses.find((s) => s.deviceId === "door-east" && s.fault === "stalled")!.detail).toContain("not even a heartbeat, for 2500 ms");
    door.thaw();
    await waitFor("online again", () => online("door-east") > before, 10_000);
    expect(await metric("linli_dahua_faults_total", { device: "door-east", fault: "stalled" })).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("a wrong password is a fault (unauthorized), retried with backoff, the device never online, the password in no status", async () => {
    await waitFor("two refusals", () => statuses.filter((s) => s.deviceId === "itc-locked" && s.fault === "unauthorized").length >= 2, 10_000);
    const refusals = statuses.filter((s) => s.deviceId === "itc-locked");
    expect(refusals.every((s) => s.state === "offline")).toBe(true);
    expect(refusals[0]!.detail).toContain("401 (wrong user or password)");
    expect(refusals[0]!.detail).toMatch(/attaching again in 100 ms/);
    expect(refusals[1]!.detail).toMatch(/attaching again in 200 ms/);
    expect(JSON.stringify(statuses)).not.toContain(WRONG);
    expect(locked.refused).toBeGreaterThanOrEqual(2);
    expect(locked.attaches).toBe(0);
    expect(await metric("linli_dahua_up", { device: "itc-locked" })).toBe(0);
    expect(await metric("linli_dahua_faults_total", { device: "itc-locked", fault: "unauthorized" })).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("a wrong address is a fault: nothing listening (unreachable), an HTTP server that is not a Dahua device (http_status)", async () => {
    await waitFor("unreachable", () => statuses.some((s) => s.deviceId === "itc-nowhere" && s.fault === "unreachable"));
    expect(statuses.find((s) => s.deviceId === "itc-nowhere")!.detail).toContain("ECONNREFUSED");
    await waitFor("404", () => statuses.some((s) => s.deviceId === "itc-hikvision" && s.fault === "http_status"));
    expect(statuses.find((s) => s.deviceId === "itc-hikvision")!.detail).toContain("/cgi-bin/eventManager.cgi answered 404");
  });
});

describe("Dahua units", () => {
  it("answers a Digest challenge as RFC 7616 says: SHA-256 when offered, MD5 otherwise, nc counting up", () => {
    const server = new DigestAuth({ realm: "Login to 8M049B2PAJF3085", algorithms: ["SHA-256", "MD5"], nonceTtlMs: 60_000 });
    const challenge = digestChallenge(server.challenges());
    expect(challenge?.algorithm).toBe("SHA-256");
    const uri = attachPath(["All"], 5);
    for (const nc of [1, 2]) {
      const check = server.check(parseDigest(digestAuthorization(challenge!, "admin", "p@ss", "GET", uri, nc))!, "GET", uri);
      expect(check.ok && check.verify(digestVerifier("SHA-256", "admin", "Login to 8M049B2PAJF3085", "p@ss"))).toBe(true);
    }
    const wrong = server.check(parseDigest(digestAuthorization(challenge!, "admin", "nope", "GET", uri, 3))!, "GET", uri);
    expect(wrong.ok && wrong.verify(digestVerifier("SHA-256", "admin", "Login to 8M049B2PAJF3085", "p@ss"))).toBe(false);
    expect(digestChallenge('Digest realm="r", qop="auth", nonce="n1", opaque="o1"')).toEqual({ realm: "r", nonce: "n1", opaque: "o1", qop: "auth", algorithm: "MD5" });
    expect(digestChallenge('Basic realm="r"')).toBeUndefined();
    expect(uri).toBe("/cgi-bin/eventManager.cgi?action=attach&codes=[All]&heartbeat=5");
  });


  it("splits parts however the network cuts the stream: Content-Length or not, CRLF or LF, multi-byte text", () => {
    const wire = Buffer.from(
      [
        "--myboundary\r\nContent-Type: text/plain\r\nContent-Length:9\r\n\r\nHeartbeat\r\n",
        "--myboundary\nContent-Type: text/plain\n\nCode=VideoMotion;action=Start;index=0\n",
        `--myboundary\r\nContent-Type: text/plain\r\nContent-Length:${Buffer.byteLength('Code=TrafficJunction;action=Pulse;index=1;data={\n "TrafficCar" : { "PlateNumber" : "沪A1" }\n}')}\r\n\r\nCode=TrafficJunction;action=Pulse;index=1;data={\n "TrafficCar" : { "PlateNumber" : "沪A1" }\n}\r\n`,
        "--myboundary\r\n",
      ].join(""),
    );
    for (const size of [1, 7, 64, wire.length]) {
      const parts: string[] = [];
      const s = new MultipartSplitter("myboundary", 4096, (b) => parts.push(b.toString("utf8").trim()), () => {});
      for (let i = 0; i < wire.length; i += size) s.push(wire.subarray(i, i + size));
      expect(parts.map((p) => parseDahuaPart(p).kind), `chunks of ${size}`).toEqual(["heartbeat", "event", "event"]);
      expect(parseDahuaPart(parts[2]!)).toMatchObject({ code: "TrafficJunction", action: "Pulse", index: 1, data: { TrafficCar: { PlateNumber: "沪A1" } } });
    }
    expect(boundaryOf("multipart/x-mixed-replace; boundary=myboundary")).toBe("myboundary");
    expect(boundaryOf("text/plain")).toBeUndefined();
    expect(parseDahuaPart("Code=X;action=Start;index=0;data={oops")).toMatchObject({ kind: "malformed" });
    expect(parseDahuaPart("hello")).toMatchObject({ kind: "malformed" });
  });

  it("drops an oversized part and goes on with the next", () => {
    const parts: string[] = [];
    let oversize = 0;
    const s = new MultipartSplitter("myboundary", 2048, (b) => parts.push(b.toString().trim()), () => oversize++);
    s.push(Buffer.from(`--myboundary\r\nContent-Type: text/plain\r\n\r\nCode=X;action=Start;index=0;data={"a":"${"x".repeat(5000)}`));
    s.push(Buffer.from("--myboundary\r\nContent-Type: text/plain\r\nContent-Length:9\r\n\r\nHeartbeat\r\n"));
    expect(oversize).toBe(1);
    expect(parts).toEqual(["Heartbeat"]);
  });

  it("maps a plate without a plate read to nothing, and leaves an unmapped direction for the schema to refuse", () => {
    const config = dahuaConfigSchema.parse({});
    const ctx = { deviceId: "itc", kind: "gate" as const, config };
    expect(mapDahuaEvent({ code: "TrafficJunction", action: "Pulse", index: 0, data: { TrafficCar: { PlateNumber: "" }, Object: { ObjectType: "Vehicle", Text: "Toyota" } } }, ctx)).toMatchObject({ kind: "ignored" });
    const m = mapDahuaEvent({ code: "TrafficJunction", action: "Pulse", index: 0, data: { TrafficCar: { PlateNumber: "沪A1", DrivingDirection: ["Leave"] }, RealUTC: 1_800_000_000 } }, ctx);
    expect(m).toMatchObject({ kind: "event", payload: { plate: "沪A1", direction: "out", granted: false, confidence: 1, ts: 1_800_000_000_000 } });
    const sideways = mapDahuaEvent({ code: "TrafficJunction", action: "Pulse", index: 0, data: { TrafficCar: { PlateNumber: "沪A1" }, JunctionDirection: "Sideways" } }, ctx);
    expect(sideways.kind === "event" && "direction" in sideways.payload).toBe(false);
    expect(mapDahuaEvent({ code: "CrossLineDetection", action: "Start", index: 0, data: {} }, ctx)).toMatchObject({ kind: "ignored" });
  });
});
