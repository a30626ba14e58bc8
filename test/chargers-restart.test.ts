/**
 * Waiting charger commands survive a restart of a real gateway (embedded broker, same data dir):
 * the command is sent again under its own seq with a fresh seal, the ack after the restart ends
 * it, an acknowledged one is never resent, and seqs count on instead of starting again at 1.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { alertsFeature } from "../gateway/alerts/feature.ts";
import { chargersFeature } from "../gateway/chargers/feature.ts";
import { eventually, SimCharger } from "./chargers-fixtures.ts";
import { sleep, waitFor } from "./lift-helpers.ts";
import { counter } from "./security-fixtures.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { tempDir } from "./services/process.ts";

const SITE = "shed";
const ACK_TIMEOUT_MS = 800;
const RETRIES = 3;
const dataDir = tempDir("chargers-restart");
const start = () =>
  startTestGateway(
    {
      site: SITE,
      influx: { enabled: false },
      alerts: { enabled: true, rules: { deviceSilent: false }, console: { enabled: false } },
      chargers: { ackTimeoutMs: ACK_TIMEOUT_MS, retries: RETRIES, commandTtlMs: 5_000 },
    },
    dataDir,
  );

let gw: TestGateway | undefined;
afterAll(async () => {
  await gw?.stop();
});

async function audit(g: TestGateway): Promise<Record<string, unknown>[]> {
  await g.gateway.feature(chargersFeature)!.flushed();
  const text = await readFile(path.join(dataDir, "chargers", "audit.jsonl"), "utf8");
  return text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

it("a port_off still waiting at a restart is sent again after it, same seq, fresh nonce, and ended by the ack", async () => {
  const first = (gw = await start());
  const silent = await SimCharger.connect(first, SITE, "c-31");
  silent.answer = "silent";
  const acking = await SimCharger.connect(first, SITE, "c-32");
  await acking.alarm({ alarmId: "a-32", type: "smoke", port: 2 });
  await eventually("c-32's ack", async () => (await counter(first.gateway.metrics.registry, "linli_charger_acks_total", { result: "ok" })) === 1);
  await silent.alarm({ alarmId: "a-31", type: "smoke", port: 4 });
  const before = await waitFor("c-31's port_off", () => silent.received[0]);
  await first.stop(true);
  gw = undefined;

  const second = (gw = await start());
  const charger = await SimCharger.connect(second, SITE, "c-31");
  const other = await SimCharger.connect(second, SITE, "c-32");
  const after = await waitFor("c-31's port_off again after the restart", () => charger.received[0], ACK_TIMEOUT_MS * (RETRIES + 1));
  expect(after.body).toMatchObject({ cmd: "port_off", port: 4, reason: "smoke", seq: before.body.seq });
  expect(after.verdict.ok, JSON.stringify(after.verdict)).toBe(true);
  expect(after.body.nonce).not.toBe(before.body.nonce);
  expect(after.body.expiresAt).toBeGreaterThan(Date.now() - 1_000);
  await eventually("the ack after the restart", async () => (await counter(second.gateway.metrics.registry, "linli_charger_acks_total", { result: "ok" })) === 1);
  await sleep(ACK_TIMEOUT_MS * 2);
  // ended: sent no more, no failure alert; c-32's port_off was acknowledged before the restart and is not resent
  expect(charger.received).toHaveLength(1);
  expect(other.received).toHaveLength(0);
  expect(second.gateway.feature(alertsFeature)!.store!.unresolved().filter((a) => a.type === "charger_command_failed")).toEqual([]);
  const trail = (await audit(second)).filter((e) => e.charger === "c-31").map((e) => [e.event, e.seq, e.trigger, e.alarmId]);
  expect(trail[0]).toEqual(["command", before.body.seq, "alarm", "a-31"]);
  expect(trail).toContainEqual(["resumed", before.body.seq, "alarm", "a-31"]);
  expect(trail.at(-1)).toEqual(["ack", before.body.seq, "alarm", "a-31"]);

  // seqs count on from before the restart: a new command never reuses a number an old ack may carry
  await other.alarm({ alarmId: "a-33", type: "over_temp", port: 1, value: 95, threshold: 90 });
  const next = await waitFor("a new port_off", () => other.received[0]);
  expect(next.body.seq).toBeGreaterThan(before.body.seq);
  await eventually("its ack", async () => (await counter(second.gateway.metrics.registry, "linli_charger_acks_total", { result: "ok" })) === 2);
}, 60_000);

it("a command waiting at one restart is not resent at the next once it was acknowledged", async () => {
  await gw?.stop(true);
  const third = (gw = await start());
  const charger = await SimCharger.connect(third, SITE, "c-31");
  await sleep(ACK_TIMEOUT_MS * 2);
  expect(charger.received).toHaveLength(0);
  expect(await counter(third.gateway.metrics.registry, "linli_charger_commands_total")).toBe(0);
}, 30_000);
