/**
 * Charger commands against a real gateway (embedded broker, alerts with a console login) and
 * simulated chargers on its broker: an alarm cuts its port with a sealed command, acks end it,
 * silence is retried and then alerted, bad acks are refused and counted, and staff need a login.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { alertsFeature } from "../gateway/alerts/feature.ts";
import { chargersFeature } from "../gateway/chargers/feature.ts";
import { hashPassword } from "../gateway/console/auth.ts";
import { eventually, SimCharger } from "./chargers-fixtures.ts";
import { sleep, waitFor } from "./lift-helpers.ts";
import { counter } from "./security-fixtures.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";

const SITE = "shed";
const GUARD = { user: "li", password: "correct horse charger" };
const ACK_TIMEOUT_MS = 300;
const RETRIES = 2;

let gw: TestGateway;
let stopped = false;

beforeAll(async () => {
  gw = await startTestGateway({
    site: SITE,
    influx: { enabled: false },
    alerts: { enabled: true, rules: { deviceSilent: false }, console: { accounts: [{ user: GUARD.user, passwordHash: await hashPassword(GUARD.password) }] } },
    chargers: { ackTimeoutMs: ACK_TIMEOUT_MS, retries: RETRIES, commandTtlMs: 5_000 },
  });
}, 30_000);

afterAll(async () => {
  if (!stopped) await gw?.stop();
});

const metric = (name: string, labels: Record<string, string> = {}) => counter(gw.gateway.metrics.registry, name, labels);

async function audit(): Promise<Record<string, unknown>[]> {
  await gw.gateway.feature(chargersFeature)!.flushed();
  const text = await readFile(path.join(gw.dataDir, "chargers", "audit.jsonl"), "utf8");
  return text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

const alertsOf = (charger: string) => gw.gateway.feature(alertsFeature)!.store!.unresolved().filter((a) => a.place.device === charger);

it("a smoke alarm cuts its port with a sealed port_off; the charger acks and nothing is sent again", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-01");
  await sim.alarm({ alarmId: "a-1", type: "smoke", port: 3 });
  const got = await waitFor("the port_off", () => sim.received[0]);
  expect(got.body).toMatchObject({ cmd: "port_off", port: 3, reason: "smoke" });
  expect(got.verdict.ok, JSON.stringify(got.verdict)).toBe(true);
  expect(got.body.expiresAt).toBeGreaterThan(Date.now());
  await eventually("the ack counted", async () => (await metric("linli_charger_acks_total", { result: "ok" })) === 1);
  await sleep(ACK_TIMEOUT_MS * (RETRIES + 2));
  expect(sim.received).toHaveLength(1);
  expect(await metric("linli_charger_command_retries_total")).toBe(0);
  expect(alertsOf("c-01").map((a) => a.type)).toEqual(["charger_smoke"]);
  expect((await audit()).filter((e) => e.charger === "c-01").map((e) => [e.event, e.seq, e.trigger, e.alarmId])).toEqual([
    ["command", got.body.seq, "alarm", "a-1"],
    ["ack", got.body.seq, "alarm", "a-1"],
  ]);
});

it("a charger that never acks gets the retries, each with a new nonce, then a charger_command_failed alert", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-02");
  sim.answer = "silent";
  await sim.alarm({ alarmId: "a-2", type: "over_temp", port: 7, value: 93, threshold: 90 });
  const alert = await waitFor("the give-up alert", () => alertsOf("c-02").find((a) => a.type === "charger_command_failed"), 10_000);
  expect(sim.received).toHaveLength(1 + RETRIES);
  expect(new Set(sim.received.map((r) => r.body.seq)).size).toBe(1);
  expect(new Set(sim.received.map((r) => r.body.nonce)).size).toBe(1 + RETRIES);
  expect(sim.received.every((r) => r.verdict.ok && r.body.cmd === "port_off" && r.body.port === 7)).toBe(true);
  // the sends are an ack timeout apart, not a burst
  for (let i = 1; i < sim.received.length; i++) expect(sim.received[i]!.at - sim.received[i - 1]!.at).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 50);
  expect(alert).toMatchObject({ severity: "critical", place: { kind: "charger", device: "c-02", port: 7 }, details: { cmd: "port_off", attempts: 1 + RETRIES, outcome: "no_ack", reason: "over_temp" } });
  expect((await audit()).filter((e) => e.charger === "c-02").map((e) => e.event)).toEqual(["command", "retry", "retry", "give_up"]);
  expect(await metric("linli_charger_command_retries_total", { cmd: "port_off" })).toBe(RETRIES);
  expect(await metric("linli_charger_command_give_ups_total", { cmd: "port_off", outcome: "no_ack" })).toBe(1);
});

it("a charger that refuses raises the alert at once; an alarm not in cutOn, or with no port, cuts nothing", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-03");
  sim.answer = { refuse: "relay stuck" };
  await sim.alarm({ alarmId: "a-3", type: "smoke", port: 1 });
  const alert = await waitFor("the refusal alert", () => alertsOf("c-03").find((a) => a.type === "charger_command_failed"));
  expect(alert.details).toMatchObject({ outcome: "refused", attempts: 1 });
  expect(alert.summary).toContain("relay stuck");
  sim.answer = "ack";
  await sim.alarm({ alarmId: "a-4", type: "over_current", port: 2, value: 30, threshold: 20 });
  await sim.alarm({ alarmId: "a-5", type: "smoke" });
  await eventually("the port-less smoke alarm counted", async () => (await metric("linli_charger_alarms_not_cut_total", { type: "smoke" })) === 1);
  await waitFor("the over_current alert", () => alertsOf("c-03").find((a) => a.type === "charger_over_current"));
  expect(sim.received).toHaveLength(1);
  // repaired: the next smoke alarm's cut is acknowledged, and the port's failure alert closes
  await sim.alarm({ alarmId: "a-6", type: "smoke", port: 1 });
  await waitFor("the failure alert closed by the acknowledged cut", () => !alertsOf("c-03").some((a) => a.type === "charger_command_failed"), 10_000);
  expect(sim.received).toHaveLength(2);
});

it("malformed acks are refused and counted, an ack for no command is counted as unknown, and neither ends a command", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-04");
  sim.answer = "silent";
  await sim.alarm({ alarmId: "a-6", type: "smoke", port: 4 });
  const cmd = await waitFor("the port_off", () => sim.received[0]);
  const malformed = ["{not json", JSON.stringify({ seq: "x", ok: true }), JSON.stringify({ seq: cmd.body.seq, ok: true, extra: 1 }), JSON.stringify({ seq: cmd.body.seq })];
  for (const m of malformed) await sim.client.publishAsync(sim.topics.ack, m, { qos: 1 });
  await sim.client.publishAsync(sim.topics.ack, JSON.stringify({ seq: 999_999, ok: true }), { qos: 1 });
  // still waiting: the command is sent again, and a good ack then ends it
  await waitFor("a retry", () => sim.received.length >= 2 || undefined, 5_000, 5);
  await sim.client.publishAsync(sim.topics.ack, JSON.stringify({ seq: cmd.body.seq, ok: true }), { qos: 1 });
  await eventually("malformed acks counted", async () => (await metric("linli_charger_acks_total", { result: "malformed" })) === malformed.length);
  expect(await metric("linli_charger_acks_total", { result: "unknown" })).toBe(1);
  // the ingest path refused them too, under its own reasons
  expect(await metric("linli_messages_rejected_total", { reason: "schema" })).toBeGreaterThanOrEqual(3);
  expect(await metric("linli_messages_rejected_total", { reason: "malformed_json" })).toBeGreaterThanOrEqual(1);
  await sleep(ACK_TIMEOUT_MS * (RETRIES + 1));
  const lines = (await audit()).filter((e) => e.charger === "c-04");
  expect(lines.filter((e) => e.seq === cmd.body.seq).map((e) => e.event)).toEqual(["command", "retry", "ack"]);
  expect(lines.filter((e) => e.event === "ack_malformed")).toHaveLength(malformed.length);
  expect(lines.filter((e) => e.event === "ack_unknown").map((e) => e.seq)).toEqual([999_999]);
  expect(alertsOf("c-04").map((a) => a.type)).toEqual(["charger_smoke"]);
});

/** A console login by form post, as a browser would: the session cookie to send with API calls. */
async function login(): Promise<string> {
  const res = await fetch(`${gw.httpUrl}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ user: GUARD.user, password: GUARD.password }).toString(),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return res.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
}

it("staff switch a port off and on over HTTP: 401 without a console login, and the audit names the login", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-05");
  const post = (p: string, cookie?: string, body = "{}") => fetch(`${gw.httpUrl}${p}`, { method: "POST", headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) }, body });
  expect((await post("/api/chargers/c-05/ports/2/off")).status).toBe(401);
  expect((await post("/api/chargers/c-05/ports/2/off", "linli_console=forged")).status).toBe(401);
  expect(await metric("linli_charger_http_refused_total", { reason: "login" })).toBe(2);
  const cookie = await login();
  expect((await post("/api/chargers/c-05/ports/99/off", cookie)).status).toBe(400);
  expect((await post("/api/chargers/c-05/ports/2/explode", cookie)).status).toBe(404);
  expect((await post("/api/chargers/c-05/ports/2/off", cookie, "{not json")).status).toBe(400);
  expect(sim.received).toHaveLength(0);

  const off = await post("/api/chargers/c-05/ports/2/off", cookie, JSON.stringify({ reason: "smell of burning" }));
  expect(off.status).toBe(202);
  const { seq } = (await off.json()) as { seq: number };
  await waitFor("the port_off", () => sim.received[0]);
  expect(sim.received[0]!.body).toMatchObject({ cmd: "port_off", port: 2, reason: "smell of burning", seq });
  expect(sim.received[0]!.verdict.ok).toBe(true);
  expect((await post("/api/chargers/c-05/ports/2/on", cookie)).status).toBe(202);
  await waitFor("the port_on", () => sim.received[1]);
  expect(sim.received[1]!.body).toMatchObject({ cmd: "port_on", port: 2, reason: "staff" });
  await eventually("both acked", async () => (await audit()).filter((e) => e.charger === "c-05" && e.event === "ack").length === 2);
  expect((await audit()).filter((e) => e.charger === "c-05").map((e) => [e.event, e.cmd, e.trigger, e.by])).toEqual([
    ["command", "port_off", "staff", GUARD.user],
    ["ack", "port_off", "staff", GUARD.user],
    ["command", "port_on", "staff", GUARD.user],
    ["ack", "port_on", "staff", GUARD.user],
  ]);
});

it("staff's port_on replaces a port_off still waiting: the port_off is not sent again after it", async () => {
  const sim = await SimCharger.connect(gw, SITE, "c-06");
  sim.answer = "silent";
  await sim.alarm({ alarmId: "a-10", type: "smoke", port: 6 });
  const off = await waitFor("the port_off", () => sim.received[0]);
  sim.answer = "ack";
  const on = await fetch(`${gw.httpUrl}/api/chargers/c-06/ports/6/on`, { method: "POST", headers: { cookie: await login() } });
  expect(on.status).toBe(202);
  await sleep(ACK_TIMEOUT_MS * (RETRIES + 2));
  expect(sim.received.map((r) => [r.body.cmd, r.body.seq])).toEqual([
    ["port_off", off.body.seq],
    ["port_on", off.body.seq + 1],
  ]);
  expect((await audit()).filter((e) => e.charger === "c-06").map((e) => [e.event, e.cmd])).toEqual([
    ["command", "port_off"],
    ["superseded", "port_off"],
    ["command", "port_on"],
    ["ack", "port_on"],
  ]);
  expect(alertsOf("c-06").map((a) => a.type)).toEqual(["charger_smoke"]);
});

it("stopping the gateway removes the chargers metrics from the registry", async () => {
  expect(gw.gateway.metrics.registry.getSingleMetric("linli_charger_commands_total")).toBeDefined();
  stopped = true;
  await gw.stop();
  const left = (await gw.gateway.metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith("linli_charger_"));
  expect(left).toEqual([]);
});
