import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../gateway/config.ts";
import { counter, writeRegistry } from "./security-fixtures.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { waitFor } from "./services/ports.ts";

const run = promisify(execFile);
const SITE = "demo";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** Two mappings as an installer writes them: a vendor's plate camera platform, and a throw-detection box. */
const webhooks = {
  "acme-gate": {
    kind: "gate",
    deviceId: "$.device.id",
    ts: "$.time",
    eventId: "$.id",
    fields: {
      method: { const: "plate" },
      plate: "$.vehicle.plate",
      direction: { path: "$.vehicle.dir", map: { entry: "in", exit: "out" } },
      granted: "$.vehicle.allowed",
      confidence: { path: "$.vehicle.score", scale: 0.01 },
    },
  },
  "tower-throw": {
    kind: "throw",
    ts: "$.alarm.epoch",
    eventId: "$.alarm.uuid",
    fields: { building: "$.site.tower", floor: "$.alarm.floor", confidence: "$.alarm.conf", track: "$.alarm.track" },
  },
};

describe("generic JSON webhook into a real gateway and InfluxDB", () => {
  let influx: Influxd;
  let gw: TestGateway;
  let secrets: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), "linli-webhook-"));

  async function rows(q: string): Promise<Record<string, unknown>[]> {
    const series = await influx.query("linli", q);
    return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
  }
  async function point(q: string): Promise<Record<string, unknown>> {
    let found: Record<string, unknown>[] = [];
    await waitFor(q, async () => (found = await rows(q)).length > 0, 15_000);
    return found[0] as Record<string, unknown>;
  }
  const post = (name: string, body: unknown, user: string, raw?: string) =>
    fetch(`${gw.httpUrl}/push/webhook/${name}`, { method: "POST", body: raw ?? JSON.stringify(body), headers: { "content-type": "application/json", authorization: basic(user, secrets[user] as string) } });
  const plate = (o: { id: string; device?: string; dir?: string }) => ({ id: o.id, time: new Date().toISOString(), device: { id: o.device ?? "lpr-gate-3" }, vehicle: { plate: "粤B12345", dir: o.dir ?? "exit", allowed: true, score: 88 } });
  const webhookRequests = (outcome: string) => counter(gw.gateway.metrics.registry, "linli_push_requests_total", { vendor: "webhook/acme-gate", outcome });
  const rejects = (reason: string) => counter(gw.gateway.metrics.registry, "linli_messages_rejected_total", { reason });

  beforeAll(async () => {
    influx = await startInfluxd();
    const reg = await writeRegistry(dir, SITE, [{ id: "lpr-gate-3", kind: "gate" }, { id: "tower-box-1", kind: "throw" }]);
    secrets = reg.secrets;
    gw = await startTestGateway({ site: SITE, influx: { url: influx.url }, privacy: { ids: "clear" }, security: { registry: reg.path, authFailures: { freeAttempts: 100 } }, push: { enabled: true, webhooks } });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await influx?.stop();
  });

  it("maps a gate webhook (fetch) into a gate_pass point; a resend with curl is a 200 duplicate", async () => {
    const res = await post("acme-gate", plate({ id: "acme-1" }), "lpr-gate-3");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "accepted", eventId: "acme-1" });
    expect(await point(`SELECT * FROM gate_pass WHERE event_id = 'acme-1'`)).toMatchObject({ gate: "lpr-gate-3", method: "plate", direction: "out", granted: "true", confidence: 0.88, subject: "粤B12345" });
    const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "-u", `lpr-gate-3:${secrets["lpr-gate-3"]}`, "-H", "Content-Type: application/json", "--data-binary", JSON.stringify(plate({ id: "acme-1" })), `${gw.httpUrl}/push/webhook/acme-gate`]);
    const lines = stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("200");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ status: "duplicate" });
  }, 30_000);

  it("maps a throw webhook (epoch seconds, a track) into a throw_event point", async () => {
    const epoch = Math.floor(Date.now() / 1000);
    const body = { site: { tower: "12" }, alarm: { uuid: "box-77", epoch, floor: 17, conf: 0.93, track: [{ t: 0, x: 0.4, y: 0.2 }, { t: 1400, x: 0.41, y: 0.97 }] } };
    const res = await post("tower-throw", body, "tower-box-1");
    expect(await res.json()).toMatchObject({ status: "accepted", eventId: "box-77" });
    const p = await point(`SELECT * FROM throw_event WHERE event_id = 'box-77'`);
    expect(p).toMatchObject({ camera: "tower-box-1", building: "12", floor: 17, confidence: 0.93, fall_ms: 1400 });
    expect(p.time).toBe(epoch * 1000); // seconds read as seconds
  }, 30_000);

  it("refuses and counts like MQTT: device mismatch, bad data and bad JSON 400, another kind 403, no login 401", async () => {
    const rejected: string[] = [];
    const off = gw.gateway.core.bus.on("device.rejected", (r) => rejected.push(`${r.reason} ${r.topic}`));
    try {
      const mismatch = await rejects("device_mismatch");
      let res = await post("acme-gate", plate({ id: "acme-2", device: "someone-else" }), "lpr-gate-3");
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: "rejected", reason: "device_mismatch" });
      expect(await rejects("device_mismatch")).toBe(mismatch + 1);

      const schema = await rejects("schema");
      res = await post("acme-gate", plate({ id: "acme-3", dir: "sideways" }), "lpr-gate-3");
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: "rejected", reason: "schema", detail: expect.stringMatching(/^direction/) });
      expect(await rejects("schema")).toBe(schema + 1);
      expect(rejected).toEqual([`device_mismatch linli/${SITE}/gate/lpr-gate-3/event`, `schema linli/${SITE}/gate/lpr-gate-3/event`]);

      res = await post("acme-gate", undefined, "lpr-gate-3", "{not json");
      expect(res.status).toBe(400);
      expect(await webhookRequests("malformed")).toBe(1);

      res = await post("acme-gate", plate({ id: "acme-4", device: "tower-box-1" }), "tower-box-1");
      expect(res.status).toBe(403);
      expect(await webhookRequests("forbidden")).toBe(1);

      res = await fetch(`${gw.httpUrl}/push/webhook/acme-gate`, { method: "POST", body: JSON.stringify(plate({ id: "acme-5" })) });
      expect(res.status).toBe(401);
      expect(await webhookRequests("unauthorized")).toBe(1);
      expect((await fetch(`${gw.httpUrl}/push/webhook/nobody`, { method: "POST", body: "{}" })).status).toBe(404);
    } finally {
      off();
    }
  }, 30_000);
});

describe("webhook mapping checked at start", () => {
  const bad = (hook: unknown) => () => parseConfig({ push: { webhooks: { acme: hook } } });
  it("names the bad key", () => {
    expect(bad({ kind: "gate", fields: { plat: "$.plate" } })).toThrow(/push\.webhooks\.acme\.fields\.plat: not a field of gate\/event/);
    expect(bad({ kind: "gates" })).toThrow(/push\.webhooks\.acme\.kind: no device kind "gates"/);
    expect(bad({ kind: "gate", channel: "frame" })).toThrow(/push\.webhooks\.acme\.channel: no JSON channel "frame" of gate/);
    expect(bad({ kind: "gate", ts: "time" })).toThrow(/push\.webhooks\.acme\.ts: a JSON path/);
    expect(bad({ kind: "gate", fields: { eventId: "$.id" } })).toThrow(/push\.webhooks\.acme\.fields\.eventId: give eventId as push\.webhooks\.acme\.eventId/);
    expect(bad({ kind: "gate", fields: { plate: { path: "$.p", mapp: {} } } })).toThrow(/push\.webhooks\.acme\.fields\.plate/);
    expect(() => parseConfig({ push: { webhooks: { "Bad Name": { kind: "gate" } } } })).toThrow(/push\.webhooks\.Bad Name/);
  });
});
