import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceEvent } from "../devices/types.ts";
import { evidenceId, sha256Hex } from "../gateway/evidence/store.ts";
import { digestVerifiers } from "../gateway/push/digest.ts";
import { createEntryCredentials } from "../gateway/security/credentials.ts";
import { generateSecret } from "../gateway/security/password.ts";
import { DeviceRegistry } from "../gateway/security/registry.ts";
import { counter, TEST_COST } from "./security-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";

const run = promisify(execFile);
const SITE = "demo";
const SALT = "dahua-upload-salt";
const SCENE_JPG = readFileSync("/work/shared/images/bicycle-dog-porch.jpg");
const PLATE_JPG = readFileSync("/work/shared/images/coco-negative-0.jpg");
const protect = (v: string) => `h:${createHmac("sha256", SALT).update(v).digest("hex").slice(0, 16)}`;

/** `2026-12-03 14:32:15.123`: ITSAPI's AccurateTime, the camera's local time. */
function localNow(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A TollgateInfo upload as a Dahua ITC camera's ITSAPI (protocol V1.19) posts it: JSON, the pictures base64 inside. */
function tollgate(o: { plate: string; direction?: string; allow?: boolean; time?: string; scene?: Buffer; crop?: Buffer }) {
  const time = o.time ?? localNow();
  return {
    Picture: {
      CutoutPic: { Content: (o.crop ?? PLATE_JPG).toString("base64"), PicName: `${time.replace(/\D/g, "")}_cut.jpg` },
      NormalPic: { Content: (o.scene ?? SCENE_JPG).toString("base64"), PicName: `${time.replace(/\D/g, "")}_1.jpg` },
      Plate: { BoundingBox: [4544, 3000, 5200, 3300], Channel: 0, Confidence: 87, IsExist: true, PlateColor: "Yellow", PlateNumber: o.plate, PlateType: "Normal", Region: "", UploadNum: 101 },
      SnapInfo: { AccurateTime: time, AllowUser: o.allow ?? true, AllowUserEndTime: "2027-12-31 23:59:59", BlockUser: false, DefenceCode: "a1b2c3", DeviceID: "8M049B2PAJF3085", Direction: o.direction ?? "Approach", SnapTime: time.slice(0, 19), TimeZone: 13 },
      Vehicle: { VehicleBoundingBox: [2352, 72, 3856, 2120], VehicleColor: "White", VehicleSeries: "", VehicleSign: "Toyota", VehicleType: "SaloonCar" },
    },
  };
}

describe("Dahua ITC picture upload (ITSAPI) into a real gateway and InfluxDB", () => {
  let influx: Influxd;
  let gw: TestGateway;
  let secret: string;
  let throwSecret: string;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), "linli-dahua-upload-"));
  const events: DeviceEvent[] = [];

  async function rows(q: string): Promise<Record<string, unknown>[]> {
    const series = await influx.query("linli", q);
    return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
  }
  const pushes = (outcome: string) => counter(gw.gateway.metrics.registry, "linli_push_requests_total", { vendor: "dahua", outcome });
  /** curl as the camera does it: Digest login, a JSON body */
  async function curl(path: string, body: unknown, user = "itc-south", password = secret): Promise<{ code: string; json: Record<string, unknown> }> {
    const file = join(dir, `body-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body));
    const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "--digest", "-u", `${user}:${password}`, "-H", "Content-Type: application/json", "--data-binary", `@${file}`, `${base}${path}`]);
    const lines = stdout.trim().split("\n");
    return { code: lines.at(-1) as string, json: JSON.parse(lines.slice(0, -1).join("\n") || "{}") };
  }

  beforeAll(async () => {
    influx = await startInfluxd();
    const registry = new DeviceRegistry();
    secret = generateSecret();
    throwSecret = generateSecret();
    registry.addDevice({ id: "itc-south", kind: "gate", site: SITE, ...(await createEntryCredentials(secret, undefined, TEST_COST)), httpDigest: digestVerifiers("itc-south", "linli", secret), disabled: false });
    registry.addDevice({ id: "tower-9", kind: "throw", site: SITE, ...(await createEntryCredentials(throwSecret, undefined, TEST_COST)), httpDigest: digestVerifiers("tower-9", "linli", throwSecret), disabled: false });
    const path = join(dir, "devices.yaml");
    registry.save(path);
    gw = await startTestGateway({
      site: SITE,
      influx: { url: influx.url },
      privacy: { ids: "hash", salt: SALT },
      security: { registry: path, authFailures: { freeAttempts: 100 } },
      push: { enabled: true, maxBytes: 2 * 1_048_576 },
    });
    base = `${gw.httpUrl}/push/dahua`;
    gw.gateway.core.bus.on("device.event", (e) => void events.push(e));
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await influx?.stop();
  });

  it("takes a TollgateInfo upload (curl --digest): {Result: true}, a gate_pass point, both pictures in the evidence store, the scene as the event's snapshot; a resend is a duplicate", async () => {
    const upload = tollgate({ plate: "苏E12345" });
    const first = await curl("/NotificationInfo/TollgateInfo", upload);
    expect(first.code).toBe("200");
    expect(first.json).toMatchObject({ Result: true, status: "accepted" });
    const evidence = first.json.evidence as { name: string; sha256: string; id: string }[];
    expect(evidence.map((e) => [e.name, e.sha256])).toEqual([["CutoutPic.jpg", sha256Hex(PLATE_JPG)], ["NormalPic.jpg", sha256Hex(SCENE_JPG)]]);
    const scene = gw.gateway.core.evidence.bySha256(sha256Hex(SCENE_JPG));
    expect(scene).toMatchObject({ subject: `gate/itc-south/${first.json.eventId}`, mime: "image/jpeg" });
    expect(readFileSync(join(gw.gateway.core.evidence.dir, scene!.file)).equals(SCENE_JPG)).toBe(true);

    const found = await (async () => {
      let r: Record<string, unknown>[] = [];
      // influxd keeps each field of a point as a series of its own, so a query racing the write can
      // see some of the fields first: wait for the whole point (a field really lost still fails)
      await waitFor("gate point", async () => (r = await rows(`SELECT * FROM gate_pass WHERE gate = 'itc-south'`)).length > 0 && r[0]!.confidence !== null);
      return r;
    })();
    expect(found[0]).toMatchObject({ method: "plate", direction: "in", granted: "true", subject: protect("苏E12345"), plate_color: "yellow", confidence: 0.87 });
    const event = events.find((e) => e.deviceId === "itc-south" && e.channel === "event")!;
    expect(event.data).toMatchObject({ plate: "苏E12345", snapshot: evidenceId(sha256Hex(SCENE_JPG)) });
    expect(Math.abs(event.ts - Date.now())).toBeLessThan(10_000);

    const again = await curl("/NotificationInfo/TollgateInfo", upload);
    expect(again.code).toBe("200");
    expect(again.json).toMatchObject({ Result: true, status: "duplicate" });
  }, 30_000);

  it("answers the KeepAlive heartbeat {Result: true}, and the device is heard", async () => {
    const before = await pushes("heartbeat");
    const r = await curl("/NotificationInfo/KeepAlive", { Active: "keepAlive", DeviceID: "8M049B2PAJF3085", Time: localNow() });
    expect(r).toMatchObject({ code: "200", json: { Result: true, status: "heartbeat" } });
    expect(await pushes("heartbeat")).toBe(before + 1);
    expect(events.some((e) => e.deviceId === "itc-south" && e.channel === "status")).toBe(true);
  });

  it("refuses and counts, {Result: false}: wrong password 401, a throw camera 403, not JSON 400, a picture that is not a JPEG 400, a direction not mapped 400 schema", async () => {
    const wrong = await curl("/NotificationInfo/TollgateInfo", tollgate({ plate: "苏E00001" }), "itc-south", "not-the-secret");
    expect(wrong).toMatchObject({ code: "401", json: { Result: false, status: "unauthorized" } });
    const tower = await curl("/NotificationInfo/TollgateInfo", tollgate({ plate: "苏E00002" }), "tower-9", throwSecret);
    expect(tower).toMatchObject({ code: "403", json: { Result: false, status: "forbidden" } });
    const notJson = await curl("/NotificationInfo/TollgateInfo", "{Picture: oops");
    expect(notJson).toMatchObject({ code: "400", json: { Result: false, status: "malformed" } });
    const notJpeg = await curl("/NotificationInfo/TollgateInfo", tollgate({ plate: "苏E00003", scene: Buffer.from("GIF89a not a jpeg") }));
    expect(notJpeg).toMatchObject({ code: "400", json: { Result: false, status: "malformed" } });
    expect(String(notJpeg.json.detail)).toContain("NormalPic.Content is not a base64 JPEG");
    const schemaBefore = await counter(gw.gateway.metrics.registry, "linli_messages_rejected_total", { reason: "schema" });
    const sideways = await curl("/NotificationInfo/TollgateInfo", tollgate({ plate: "苏E00004", direction: "Sideways" }));
    expect(sideways).toMatchObject({ code: "400", json: { Result: false, status: "rejected", reason: "schema" } });
    expect(await counter(gw.gateway.metrics.registry, "linli_messages_rejected_total", { reason: "schema" })).toBe(schemaBefore + 1);
    expect(gw.gateway.core.evidence.bySha256(sha256Hex(Buffer.from("GIF89a not a jpeg")))).toBeUndefined();
  }, 30_000);

  it("takes the upload at the bare platform path as well, with Basic from fetch; Leave is out, not on the allow list is not granted", async () => {
    const res = await fetch(base, {
      method: "POST",
      body: JSON.stringify(tollgate({ plate: "苏F67890", direction: "Leave", allow: false })),
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`itc-south:${secret}`).toString("base64")}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ Result: true, status: "accepted" });
    let r: Record<string, unknown>[] = [];
    await waitFor("gate point", async () => (r = await rows(`SELECT * FROM gate_pass WHERE subject = '${protect("苏F67890")}'`)).length > 0);
    expect(r[0]).toMatchObject({ direction: "out", granted: "false" });
  }, 30_000);
});
