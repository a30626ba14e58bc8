import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceEvent } from "../devices/types.ts";
import { alertsFeature } from "../gateway/alerts/feature.ts";
import { evidenceId, sha256Hex } from "../gateway/evidence/store.ts";
import { connectAs, counter, writeRegistry } from "./security-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";

const run = promisify(execFile);
const SITE = "demo";
const SALT = "push-events-salt";
const FACE_JPG = readFileSync("/work/shared/images/coco-negative-0.jpg");
const FACADE_JPG = readFileSync("/work/shared/images/bicycle-dog-porch.jpg");
const protect = (v: string) => `h:${createHmac("sha256", SALT).update(v).digest("hex").slice(0, 16)}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const isoNow = () => new Date().toISOString().replace(/\.\d+Z$/, "+00:00");

/** An access-control terminal's AccessControllerEvent (JSON), as its "HTTP listening" posts a face pass. */
function faceJson(o: { sub: number; serialNo: number; employee?: string; doorNo?: number }): string {
  return JSON.stringify({
    ipAddress: "192.168.1.70",
    portNo: 80,
    protocol: "HTTP",
    macAddress: "bc:ad:28:00:00:70",
    channelID: 1,
    dateTime: isoNow(),
    activePostCount: 1,
    eventType: "AccessControllerEvent",
    eventState: "active",
    eventDescription: "Access Controller Event",
    AccessControllerEvent: {
      deviceName: "Access Controller",
      majorEventType: 5,
      subEventType: o.sub,
      ...(o.employee ? { name: "Resident", employeeNoString: o.employee } : {}),
      cardReaderNo: 1,
      doorNo: o.doorNo ?? 1,
      serialNo: o.serialNo,
      userType: "normal",
      currentVerifyMode: "cardOrFace",
      picturesNumber: 1,
    },
  });
}

/** The terminal's multipart: the event as a part named `event_log`, the face as a part `Picture` (no file name). */
function terminalMultipart(json: string, picture: Buffer): { body: Buffer; type: string } {
  const boundary = "MIME_boundary";
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="event_log"\r\nContent-Type: application/json; charset="UTF-8"\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="Picture"\r\nContent-Type: image/jpeg\r\nContent-Length: ${picture.length}\r\n\r\n`),
    picture,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** A line-crossing alert (ISAPI `linedetection`), as a camera's "HTTP listening" posts it. */
function lineXml(o: { dateTime: string; state?: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<ipAddress>192.168.1.105</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>80:be:af:89:d9:ee</macAddress>
<channelID>1</channelID>
<dateTime>${o.dateTime}</dateTime>
<activePostCount>1</activePostCount>
<eventType>linedetection</eventType>
<eventState>${o.state ?? "active"}</eventState>
<eventDescription>linedetection alarm</eventDescription>
<DetectionRegionList>
<DetectionRegionEntry>
<regionID>1</regionID>
<sensitivityLevel>50</sensitivityLevel>
<RegionCoordinatesList>
<RegionCoordinates><positionX>876</positionX><positionY>487</positionY></RegionCoordinates>
<RegionCoordinates><positionX>403</positionX><positionY>152</positionY></RegionCoordinates>
</RegionCoordinatesList>
<detectionTarget>others</detectionTarget>
<TargetRect><X>0.425</X><Y>0.144</Y><width>0.021</width><height>0.090</height></TargetRect>
</DetectionRegionEntry>
</DetectionRegionList>
<channelName>Tower 7 east</channelName>
<detectionPictureTransType>binary</detectionPictureTransType>
<detectionPicturesNumber>1</detectionPicturesNumber>
</EventNotificationAlert>`;
}

describe("Hikvision face, throw and heartbeat pushes into a real gateway and InfluxDB", () => {
  let influx: Influxd;
  let gw: TestGateway;
  let secrets: Record<string, string>;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), "linli-push-events-"));
  const events: DeviceEvent[] = [];

  async function rows(q: string): Promise<Record<string, unknown>[]> {
    const series = await influx.query("linli", q);
    return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
  }
  async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    let value: T | undefined;
    await waitFor(what, async () => (value = await get()) !== undefined, timeoutMs);
    return value as T;
  }
  const pushes = (outcome: string) => counter(gw.gateway.metrics.registry, "linli_push_requests_total", { vendor: "hikvision", outcome });

  beforeAll(async () => {
    influx = await startInfluxd();
    const reg = await writeRegistry(dir, SITE, [{ id: "face-east", kind: "gate" }, { id: "throw-cam-07", kind: "throw" }, { id: "anpr-west", kind: "gate" }]);
    secrets = reg.secrets;
    gw = await startTestGateway({
      site: SITE,
      influx: { url: influx.url },
      privacy: { ids: "hash", salt: SALT },
      security: { registry: reg.path, authFailures: { freeAttempts: 100 } },
      alerts: { rules: { deviceSilent: false }, console: { enabled: false } },
      push: { enabled: true, hikvision: { doors: { "2": "out" }, buildings: { "throw-cam-07": "7" } } },
    });
    url = `${gw.httpUrl}/push/hikvision`;
    gw.gateway.core.bus.on("device.event", (e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await influx?.stop();
  });

  it("takes a face terminal's multipart AccessControllerEvent (fetch): a face pass in InfluxDB, the face in the evidence store, linked from the event", async () => {
    const { body, type } = terminalMultipart(faceJson({ sub: 75, serialNo: 42, employee: "1001" }), FACE_JPG);
    const res = await fetch(url, { method: "POST", body: new Uint8Array(body), headers: { "content-type": type, authorization: basic("face-east", secrets["face-east"] as string) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ statusCode: 1, statusString: "OK", status: "accepted", eventId: "face-east-42", evidence: [{ name: "Picture", sha256: sha256Hex(FACE_JPG) }] });
    const record = gw.gateway.core.evidence.bySha256(sha256Hex(FACE_JPG));
    expect(record).toMatchObject({ id: evidenceId(sha256Hex(FACE_JPG)), subject: "gate/face-east/face-east-42" });
    expect(readFileSync(join(gw.gateway.core.evidence.dir, record!.file)).equals(FACE_JPG)).toBe(true); // a part without a file name, byte for byte
    const found = await until("face point", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE event_id = 'face-east-42'`);
      return r.length ? r : undefined;
    });
    expect(found[0]).toMatchObject({ gate: "face-east", method: "face", direction: "in", granted: "true", subject: protect("1001"), confidence: 1 });
    expect(events.find((e) => (e.data as { eventId?: string }).eventId === "face-east-42")?.data).toMatchObject({ method: "face", personId: "1001", snapshot: record!.id });
  }, 30_000);

  it("takes a failed face (subEventType 76) as XML with curl: granted false, door 2 is out; a door-state event is answered OK and ignored", async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.70</ipAddress><portNo>80</portNo><protocol>HTTP</protocol><channelID>1</channelID>
<dateTime>${isoNow()}</dateTime><activePostCount>1</activePostCount>
<eventType>AccessControllerEvent</eventType><eventState>active</eventState><eventDescription>Access Controller Event</eventDescription>
<AccessControllerEvent><deviceName>Access Controller</deviceName><majorEventType>5</majorEventType><subEventType>76</subEventType>
<cardReaderNo>1</cardReaderNo><doorNo>2</doorNo><serialNo>43</serialNo><currentVerifyMode>face</currentVerifyMode></AccessControllerEvent>
</EventNotificationAlert>`;
    const file = join(dir, "face.xml");
    writeFileSync(file, xml);
    const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "-u", `face-east:${secrets["face-east"]}`, "-H", "Content-Type: application/xml", "--data-binary", `@${file}`, url]);
    const lines = stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("200");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ status: "accepted", eventId: "face-east-43" });
    const found = await until("failed face point", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE event_id = 'face-east-43'`);
      return r.length ? r : undefined;
    });
    expect(found[0]).toMatchObject({ method: "face", direction: "out", granted: "false", subject: protect("unknown") });

    const before = await pushes("ignored");
    const door = JSON.stringify({ eventType: "AccessControllerEvent", dateTime: isoNow(), AccessControllerEvent: { majorEventType: 3, subEventType: 21, doorNo: 1 } });
    const res = await fetch(url, { method: "POST", body: door, headers: { "content-type": "application/json", authorization: basic("face-east", secrets["face-east"] as string) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ statusCode: 1, status: "ignored", eventType: "AccessControllerEvent 3/21" });
    expect(await pushes("ignored")).toBe(before + 1);
  }, 30_000);

  it("takes a throw camera's line-crossing alert with its picture (curl -F): a throw_event point, and an alert that links the picture", async () => {
    const xml = join(dir, "line.xml");
    writeFileSync(xml, lineXml({ dateTime: isoNow() }));
    const jpg = join(dir, "linedetectionPicture.jpg");
    writeFileSync(jpg, FACADE_JPG);
    const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "-u", `throw-cam-07:${secrets["throw-cam-07"]}`, "-F", `linedetection=@${xml};type=application/xml`, "-F", `linedetectionPicture.jpg=@${jpg};type=image/jpeg`, url]);
    const lines = stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("200");
    const answer = JSON.parse(lines[0] as string) as { status: string; eventId: string };
    expect(answer).toMatchObject({ status: "accepted", eventId: expect.stringMatching(/^throw-cam-07-[0-9a-f]{20}$/) });
    const found = await until("throw point", async () => {
      const r = await rows(`SELECT * FROM throw_event WHERE event_id = '${answer.eventId}'`);
      return r.length ? r : undefined;
    });
    expect(found[0]).toMatchObject({ camera: "throw-cam-07", building: "7", confidence: 1, snapshot: `sha256:${sha256Hex(FACADE_JPG)}`, count: 1 });
    const store = gw.gateway.feature(alertsFeature)!.store!;
    const alert = await until("throw alert", async () => store.unresolved().find((a) => a.type === "throw" && a.place.device === "throw-cam-07" && a.evidence[0]?.id));
    expect(alert.place).toMatchObject({ building: "7", kind: "throw" });
    expect(alert.evidence[0]).toMatchObject({ role: "snapshot", sha256: sha256Hex(FACADE_JPG), id: evidenceId(sha256Hex(FACADE_JPG)) });
  }, 30_000);

  it("takes a heartbeat (eventState inactive) as a sign of life: 200 OK, a status event on the bus, no point", async () => {
    const before = await pushes("heartbeat");
    const seen = events.length;
    const res = await fetch(url, { method: "POST", body: lineXml({ dateTime: isoNow(), state: "inactive" }), headers: { "content-type": "application/xml", authorization: basic("throw-cam-07", secrets["throw-cam-07"] as string) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ statusCode: 1, status: "heartbeat" });
    expect(await pushes("heartbeat")).toBe(before + 1);
    expect(events.slice(seen)).toEqual([expect.objectContaining({ kind: "throw", deviceId: "throw-cam-07", channel: "status" })]);
    expect(await rows(`SELECT * FROM throw_event WHERE camera = 'throw-cam-07'`)).toHaveLength(1);
  }, 30_000);

  it("remembers duplicates across paths: an event pushed over HTTP and then published over MQTT is one event", async () => {
    const event = { eventId: "same-everywhere-1", method: "plate", plate: "沪A55555", direction: "in", granted: true, confidence: 0.9 };
    const json = JSON.stringify({ dateTime: isoNow(), eventType: "ANPR", UUID: event.eventId, ANPR: { licensePlate: event.plate, direction: "forward", confidenceLevel: 90, vehicleListName: "allowList" } });
    const res = await fetch(url, { method: "POST", body: json, headers: { "content-type": "application/json", authorization: basic("anpr-west", secrets["anpr-west"] as string) } });
    expect(await res.json()).toMatchObject({ status: "accepted" });
    const duplicates = await counter(gw.gateway.metrics.registry, "linli_messages_rejected_total", { reason: "duplicate" });
    const device = await connectAs(gw.brokerUrl, "anpr-west", secrets["anpr-west"]);
    try {
      await device.publishAsync(`linli/${SITE}/gate/anpr-west/event`, JSON.stringify({ ...event, ts: Date.now() }), { qos: 1 });
      await waitFor("MQTT duplicate refused", async () => (await counter(gw.gateway.metrics.registry, "linli_messages_rejected_total", { reason: "duplicate" })) === duplicates + 1, 5_000);
    } finally {
      await device.endAsync();
    }
    const found = await until("pushed point", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE event_id = 'same-everywhere-1'`);
      return r.length ? r : undefined;
    });
    expect(found).toHaveLength(1);
  }, 30_000);
});
