import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceEvent } from "../devices/types.ts";
import { sha256Hex } from "../gateway/evidence/store.ts";
import { createHmac } from "node:crypto";
import { AllowList } from "../gateway/push/allow.ts";
import { basicCredentials } from "../gateway/push/auth.ts";
import { mapAlert, parseAlert } from "../gateway/push/hikvision.ts";
import { pushConfigSchema } from "../gateway/push/config.ts";
import { counter, writeRegistry } from "./security-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";

async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  let value: T | undefined;
  await waitFor(what, async () => (value = await get()) !== undefined, timeoutMs);
  return value as T;
}

const run = promisify(execFile);
const SITE = "demo";
const SALT = "push-salt";
const PLATE_JPG = readFileSync("/work/shared/images/coco-negative-0.jpg");
const SCENE_JPG = readFileSync("/work/shared/images/bicycle-dog-porch.jpg");

/** An ISAPI EventNotificationAlert for an ANPR pass, as a Hikvision camera's "HTTP listening" posts it. */
function anprXml(o: { plate: string; uuid: string; direction?: string; dateTime?: string; list?: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>bc:ad:28:00:00:01</macAddress>
<channelID>1</channelID>
<dateTime>${o.dateTime ?? new Date().toISOString().replace("Z", "+00:00")}</dateTime>
<activePostCount>1</activePostCount>
<eventType>ANPR</eventType>
<eventState>active</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>Gate North</channelName>
<ANPR>
<country>CN</country>
<licensePlate>${o.plate}</licensePlate>
<line>1</line>
<direction>${o.direction ?? "forward"}</direction>
<confidenceLevel>97</confidenceLevel>
<plateType>92TypeCivil</plateType>
<plateColor>blue</plateColor>
<licenseBright>0</licenseBright>
<vehicleType>vehicle</vehicleType>
<vehicleListName>${o.list ?? "allowList"}</vehicleListName>
<vehicleInfo><index>1</index><vehicleType>0</vehicleType><color>white</color><vehicleLogoRecog>1036</vehicleLogoRecog></vehicleInfo>
<pictureInfoList>
<pictureInfo><fileName>licensePlatePicture.jpg</fileName><type>licensePlatePicture</type><dataType>0</dataType></pictureInfo>
<pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type><dataType>0</dataType></pictureInfo>
</pictureInfoList>
</ANPR>
<UUID>${o.uuid}</UUID>
<picNum>2</picNum>
</EventNotificationAlert>`;
}

const HEARTBEAT = `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress><portNo>80</portNo><protocol>HTTP</protocol><channelID>1</channelID>
<dateTime>2026-12-02T10:00:00+08:00</dateTime><activePostCount>0</activePostCount>
<eventType>videoloss</eventType><eventState>inactive</eventState><eventDescription>videoloss alarm</eventDescription>
</EventNotificationAlert>`;

/** multipart/form-data the way the camera builds it: the XML part first, then the JPEG parts. */
function multipart(xml: string, pictures: Record<string, Buffer>): { body: Buffer; type: string } {
  const boundary = "MIME_boundary_hik_" + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  const part = (name: string, type: string, bytes: Buffer) =>
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes, Buffer.from("\r\n"));
  part("anpr.xml", "text/xml", Buffer.from(xml));
  for (const [name, bytes] of Object.entries(pictures)) part(name, "image/jpeg", bytes);
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const protect = (v: string) => `h:${createHmac("sha256", SALT).update(v).digest("hex").slice(0, 16)}`;

describe("Hikvision ISAPI push into a real gateway and InfluxDB", () => {
  let influx: Influxd;
  let gw: TestGateway;
  let secret: string;
  let liftSecret: string;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), "linli-push-"));
  const events: DeviceEvent[] = [];

  async function rows(q: string): Promise<Record<string, unknown>[]> {
    const series = await influx.query("linli", q);
    return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
  }
  const pushes = (outcome: string) => counter(gw.gateway.metrics.registry, "linli_push_requests_total", { vendor: "hikvision", outcome });
  const rejects = (reason: string) => counter(gw.gateway.metrics.registry, "linli_messages_rejected_total", { reason });

  beforeAll(async () => {
    influx = await startInfluxd();
    const reg = await writeRegistry(dir, SITE, [{ id: "anpr-north", kind: "gate" }, { id: "lift-01", kind: "lift" }]);
    secret = reg.secrets["anpr-north"] as string;
    liftSecret = reg.secrets["lift-01"] as string;
    gw = await startTestGateway({
      site: SITE,
      influx: { url: influx.url },
      privacy: { ids: "hash", salt: SALT },
      security: { registry: reg.path, authFailures: { freeAttempts: 100 } },
      push: { enabled: true, maxBytes: 1_048_576 },
    });
    url = `${gw.httpUrl}/push/hikvision`;
    gw.gateway.core.bus.on("device.event", (e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await influx?.stop();
  });

  it("takes a multipart ANPR push (fetch): gate point in InfluxDB with the plate hashed, pictures in the evidence store", async () => {
    const { body, type } = multipart(anprXml({ plate: "沪A12345", uuid: "uuid-fetch-1" }), { "licensePlatePicture.jpg": PLATE_JPG, "detectionPicture.jpg": SCENE_JPG });
    const res = await fetch(url, { method: "POST", body: new Uint8Array(body), headers: { "content-type": type, authorization: basic("anpr-north", secret) } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { status: string; evidence: { name: string; sha256: string; id: string }[] };
    // the ISAPI ResponseStatus a Hikvision device expects, with linli's fields beside it
    expect(answer).toMatchObject({ requestURL: "/push/hikvision", statusCode: 1, statusString: "OK", subStatusCode: "ok", status: "accepted" });
    const plate = answer.evidence.find((e) => e.name === "licensePlatePicture.jpg");
    expect(plate?.sha256).toBe(sha256Hex(PLATE_JPG));
    const record = gw.gateway.core.evidence.bySha256(sha256Hex(PLATE_JPG));
    expect(record).toMatchObject({ id: plate?.id, subject: "gate/anpr-north/uuid-fetch-1", mime: "image/jpeg" });
    expect(readFileSync(join(gw.gateway.core.evidence.dir, record!.file)).equals(PLATE_JPG)).toBe(true);
    expect(gw.gateway.core.evidence.bySha256(sha256Hex(SCENE_JPG))).toBeDefined();

    const found = await until("gate point", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE event_id = 'uuid-fetch-1'`);
      return r.length ? r : undefined;
    });
    expect(found[0]).toMatchObject({ gate: "anpr-north", method: "plate", direction: "in", granted: "true", subject: protect("沪A12345"), plate_color: "blue", confidence: 0.97, count: 1 });
    expect(JSON.stringify(found)).not.toContain("沪A12345");
    // the event links its snapshot: the scene picture, not the plate crop
    const scene = gw.gateway.core.evidence.bySha256(sha256Hex(SCENE_JPG));
    expect(events.find((e) => (e.data as { eventId: string }).eventId === "uuid-fetch-1")).toMatchObject({ kind: "gate", deviceId: "anpr-north", channel: "event", data: { snapshot: scene?.id } });
  }, 30_000);

  it("takes a bare XML body sent with curl; reverse is out; a resend is a 200 duplicate", async () => {
    const file = join(dir, "anpr.xml");
    writeFileSync(file, anprXml({ plate: "苏B99887", uuid: "uuid-curl-1", direction: "reverse", list: "otherList" }));
    const args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-u", `anpr-north:${secret}`, "-H", "Content-Type: application/xml", "--data-binary", `@${file}`, url];
    const first = (await run("curl", args)).stdout.trim().split("\n");
    expect(first.at(-1)).toBe("200");
    expect(JSON.parse(first[0] as string)).toMatchObject({ status: "accepted" });
    const again = (await run("curl", args)).stdout.trim().split("\n");
    expect(again.at(-1)).toBe("200");
    expect(JSON.parse(again[0] as string)).toMatchObject({ status: "duplicate" });
    const found = await until("gate point", async () => {
      const r = await rows(`SELECT * FROM gate_pass WHERE event_id = 'uuid-curl-1'`);
      return r.length ? r : undefined;
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ direction: "out", granted: "false", subject: protect("苏B99887") });
  }, 30_000);

  it("takes multipart from curl -F as well", async () => {
    const xml = join(dir, "anpr2.xml");
    writeFileSync(xml, anprXml({ plate: "浙C11223", uuid: "uuid-curl-2" }));
    const jpg = join(dir, "licensePlatePicture.jpg");
    writeFileSync(jpg, SCENE_JPG);
    const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "-u", `anpr-north:${secret}`, "-F", `anpr.xml=@${xml};type=text/xml`, "-F", `licensePlatePicture.jpg=@${jpg};type=image/jpeg`, url]);
    const lines = stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("200");
    expect(JSON.parse(lines[0] as string).evidence[0]).toMatchObject({ name: "licensePlatePicture.jpg", sha256: sha256Hex(SCENE_JPG) });
  }, 30_000);

  it("answers a heartbeat (videoloss inactive) 200 and writes nothing", async () => {
    const before = await pushes("heartbeat");
    const res = await fetch(url, { method: "POST", body: HEARTBEAT, headers: { "content-type": "application/xml", authorization: basic("anpr-north", secret) } });
    expect(res.status).toBe(200);
    expect(await pushes("heartbeat")).toBe(before + 1);
  });

  it("refuses and counts: no credentials 401, wrong password 401, not a gate 403, oversize 413, malformed 400, bad data 400", async () => {
    const xml = anprXml({ plate: "沪A00001", uuid: "uuid-refused" });
    const post = (headers: Record<string, string>, body: string = xml) => fetch(url, { method: "POST", body, headers: { "content-type": "application/xml", ...headers } });

    let before = await pushes("unauthorized");
    let res = await post({});
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Digest realm="linli", qop="auth", algorithm=SHA-256, .*Basic realm="linli"$/);
    res = await post({ authorization: basic("anpr-north", "wrong") });
    expect(res.status).toBe(401);
    res = await post({ authorization: basic("nobody", "x") });
    expect(res.status).toBe(401);
    expect(await pushes("unauthorized")).toBe(before + 3);

    before = await pushes("forbidden");
    res = await post({ authorization: basic("lift-01", liftSecret) });
    expect(res.status).toBe(403);
    expect(await pushes("forbidden")).toBe(before + 1);

    // oversize: 2 MiB of picture against a 1 MiB cap, refused while streaming (no content-length with curl chunked)
    const big = Buffer.alloc(2 * 1_048_576, 0xff);
    const bigFile = join(dir, "big.jpg");
    writeFileSync(bigFile, big);
    const xmlFile = join(dir, "small.xml");
    writeFileSync(xmlFile, xml);
    const overBefore = await rejects("oversize");
    const { stdout } = await run("curl", ["-s", "-o", join(dir, "413.json"), "-w", "%{http_code}", "-u", `anpr-north:${secret}`, "-H", "Transfer-Encoding: chunked", "-F", `anpr.xml=@${xmlFile};type=text/xml`, "-F", `licensePlatePicture.jpg=@${bigFile};type=image/jpeg`, url]);
    expect(stdout).toBe("413");
    expect(JSON.parse(readFileSync(join(dir, "413.json"), "utf8"))).toMatchObject({ status: "oversize", detail: "over 1048576 bytes" }); // counted while streaming
    expect(await rejects("oversize")).toBe(overBefore + 1);
    expect(await pushes("oversize")).toBe(1);
    // with a Content-Length over the cap (fetch), refused before the body is read
    const sized = multipart(xml, { "licensePlatePicture.jpg": big });
    res = await fetch(url, { method: "POST", body: new Uint8Array(sized.body), headers: { "content-type": sized.type, authorization: basic("anpr-north", secret) } });
    expect(res.status).toBe(413);
    expect(await pushes("oversize")).toBe(2);
    expect(await rejects("oversize")).toBe(overBefore + 2);

    // malformed XML
    res = await post({ authorization: basic("anpr-north", secret) }, "<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>沪A1</ANPR>");
    expect(res.status).toBe(400);
    expect(await pushes("malformed")).toBe(1);

    // well-formed but not a gate event: direction unknown -> schema reject, counted like MQTT's
    const schemaBefore = await rejects("schema");
    const rejected: string[] = [];
    const off = gw.gateway.core.bus.on("device.rejected", (r) => rejected.push(r.topic));
    res = await post({ authorization: basic("anpr-north", secret) }, anprXml({ plate: "沪A00002", uuid: "uuid-bad", direction: "unknown" }));
    off();
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: "rejected", reason: "schema" });
    expect(await rejects("schema")).toBe(schemaBefore + 1);
    expect(rejected).toContain(`linli/${SITE}/gate/anpr-north/event`);
  }, 30_000);
});

describe("push allow-list on a running gateway", () => {
  it("refuses 403 an address outside push.allow (here: loopback, allowed only 192.0.2.0/24)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "linli-push-allow-"));
    const reg = await writeRegistry(dir, SITE, [{ id: "anpr-south", kind: "gate" }]);
    const gw = await startTestGateway({ site: SITE, influx: { enabled: false }, security: { registry: reg.path }, push: { enabled: true, allow: ["192.0.2.0/24"] } });
    try {
      const res = await fetch(`${gw.httpUrl}/push/hikvision`, { method: "POST", body: HEARTBEAT, headers: { "content-type": "application/xml", authorization: basic("anpr-south", reg.secrets["anpr-south"] as string) } });
      expect(res.status).toBe(403);
      expect(await counter(gw.gateway.metrics.registry, "linli_push_requests_total", { outcome: "forbidden" })).toBe(1);
    } finally {
      await gw.stop();
    }
  }, 30_000);

  it("is not mounted unless push.enabled", async () => {
    const gw = await startTestGateway({ site: SITE, influx: { enabled: false } });
    try {
      expect((await fetch(`${gw.httpUrl}/push/hikvision`, { method: "POST", body: HEARTBEAT })).status).toBe(404);
    } finally {
      await gw.stop();
    }
  }, 30_000);
});

describe("push units", () => {
  it("allow-list: CIDRs, IPv4-mapped IPv6, default loopback only", () => {
    const def = new AllowList(pushConfigSchema.parse({}).allow);
    expect(def.allows("127.0.0.1")).toBe(true);
    expect(def.allows("::ffff:127.0.0.1")).toBe(true);
    expect(def.allows("::1")).toBe(true);
    expect(def.allows("192.168.1.64")).toBe(false);
    expect(def.allows(undefined)).toBe(false);
    const lan = new AllowList(["192.168.1.0/24"]);
    expect(lan.allows("::ffff:192.168.1.64")).toBe(true);
    expect(lan.allows("192.168.2.64")).toBe(false);
    expect(() => new AllowList(["example.com/8"])).toThrow(/not an address block/);
  });

  it("Basic credentials", () => {
    expect(basicCredentials(basic("cam", "a:b"))).toEqual({ user: "cam", password: "a:b" });
    expect(basicCredentials("Digest x")).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });

  it("maps an ANPR alert (XML and JSON) to the gate event payload", () => {
    const config = pushConfigSchema.parse({}).hikvision;
    const dateTime = "2026-12-02T10:48:13+08:00";
    const fromXml = mapAlert(parseAlert(Buffer.from(anprXml({ plate: "沪A12345", uuid: "u-1", dateTime }))), "gate", { deviceId: "cam", config });
    expect(fromXml).toMatchObject({
      kind: "event",
      deviceKind: "gate",
      payload: { method: "plate", plate: "沪A12345", plateColor: "blue", direction: "in", granted: true, confidence: 0.97, ts: Date.parse(dateTime), eventId: "u-1" },
    });
    expect(fromXml.kind === "event" && fromXml.snapshot.pick(["licensePlatePicture.jpg", "detectionPicture.jpg"])).toBe("detectionPicture.jpg");
    const json = { ipAddress: "192.168.1.64", dateTime, eventType: "ANPR", ANPR: { licensePlate: "12345", direction: "reverse", confidenceLevel: 80 } };
    const fromJson = mapAlert(parseAlert(Buffer.from(JSON.stringify(json))), "gate", { deviceId: "cam", config });
    // no UUID: an id the schema takes (no "+" of the time), the same for the same alert sent again
    expect(fromJson.kind === "event" && fromJson.payload).toMatchObject({ plate: "12345", direction: "out", granted: false, confidence: 0.8, eventId: expect.stringMatching(/^cam-[0-9a-f]{20}$/) });
    expect(mapAlert(parseAlert(Buffer.from(JSON.stringify(json))), "gate", { deviceId: "cam", config })).toEqual(fromJson);
    expect(mapAlert(parseAlert(Buffer.from(HEARTBEAT)), "gate", { deviceId: "cam", config })).toEqual({ kind: "heartbeat", eventType: "videoloss" });
    expect(mapAlert(parseAlert(Buffer.from(anprXml({ plate: "沪A1", uuid: "u-2" }))), "throw", { deviceId: "cam", config })).toEqual({ kind: "ignored", eventType: "ANPR" });
    expect(() => parseAlert(Buffer.from("<a><b></a>"))).toThrow(/XML/);
    expect(() => parseAlert(Buffer.from("hello"))).toThrow();
  });
});
