import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import type { GatewayEvents } from "../gateway/events.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { HttpServer } from "../gateway/http/server.ts";
import { liftConfigSchema } from "../gateway/lift/config.ts";
import { liftFeature } from "../gateway/lift/feature.ts";
import { testCore, type TestCore } from "./lift-helpers.ts";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function rig(userOf: (req: import("node:http").IncomingMessage) => string | undefined) {
  const core: TestCore = await testCore();
  core.staff.provide({ userOf, roleOf: (req) => (userOf(req) ? "guard" : undefined), displayNameOf: userOf });
  const host = await FeatureHost.start(liftFeature, core, liftConfigSchema.parse({ link: "none", lifts: { h1: {} }, maxDisableMinutes: 60 }));
  const ext = host.feature;
  const server = await HttpServer.start(core.http, "127.0.0.1", 0, core.log);
  cleanup.push(() => core.cleanup(), () => host.stop(), () => server.close());
  const url = `http://127.0.0.1:${server.port}`;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${p}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const audit = async () => (await readFile(path.join(core.dataDir, "lift", "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  return { core, ext, url, post, audit };
}

it("HTTP staff API: disable caps at maxDisableMinutes, enable, unknown lift 404, bad body 400", async () => {
  // a console login for every request: these checks are about the API, not about logins
  const { ext, post, audit, url } = await rig(() => "erin");
  const r = await post("/api/lifts/h1/disable", { minutes: 500, by: "erin" });
  expect(r.status).toBe(200);
  const body = (await r.json()) as { disabledUntil: number };
  expect(body.disabledUntil - Date.now()).toBeLessThanOrEqual(60 * 60_000);
  expect(body.disabledUntil - Date.now()).toBeGreaterThan(59 * 60_000);
  expect(ext.status().h1?.disabledUntil).toBe(body.disabledUntil);
  expect((await post("/api/lifts/h1/enable", { by: "erin" })).status).toBe(200);
  expect(ext.status().h1?.disabledUntil).toBe(0);
  expect((await post("/api/lifts/nope/release", { by: "erin" })).status).toBe(404);
  expect((await post("/api/lifts/h1/explode", { by: "erin" })).status).toBe(404);
  expect((await fetch(`${url}/api/lifts/h1/release`, { method: "POST", body: "{not json" })).status).toBe(400);
  expect((await post("/api/lifts/h1/disable", { minutes: -3, by: "erin" })).status).toBe(400);
  expect((await audit()).map((a) => [a.action, a.by, a.minutes])).toEqual([
    ["disable", "erin", 60],
    ["enable", "erin", undefined],
  ]);
});

it("HTTP staff API with a console login: 401 without a session, and the audit names the authenticated user", async () => {
  const { post, audit } = await rig((req) => (req.headers.authorization === "Bearer good" ? "dave" : undefined));
  expect((await post("/api/lifts/h1/release", { by: "dave" })).status).toBe(401);
  expect((await post("/api/lifts/h1/release", {}, { authorization: "Bearer good" })).status).toBe(200);
  expect((await post("/api/lifts/h1/release", { by: "frank" }, { authorization: "Bearer good" })).status).toBe(200);
  expect((await audit()).map((a) => a.by)).toEqual(["dave", "dave (for frank)"]);
});

it("a release's verdict is audited with its hold, and staff calling holds false three times raise a false_holds alert", async () => {
  const { core, post, audit } = await rig(() => "erin");
  const alerts: GatewayEvents["lift.alert"][] = [];
  const staff: GatewayEvents["lift.staff"][] = [];
  core.bus.on("lift.alert", (a) => void alerts.push(a));
  core.bus.on("lift.staff", (s) => void staff.push(s));
  // no hold now: a verdict must name the hold it is about
  const none = await post("/api/lifts/h1/release", { verdict: "no_ebike" });
  expect(none.status).toBe(409);
  expect(((await none.json()) as { error: string }).error).toMatch(/holdId/);
  expect((await post("/api/lifts/h1/disable", { verdict: "ebike", holdId: "h1-1" })).status).toBe(400);
  for (const n of [1, 2, 3]) {
    const r = await post("/api/lifts/h1/release", { verdict: "no_ebike", holdId: `h1-${n}` });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { holdId: string }).holdId).toBe(`h1-${n}`);
  }
  expect((await post("/api/lifts/h1/release", { verdict: "ebike", holdId: "h1-4" })).status).toBe(200);
  expect((await audit()).map((a) => [a.holdId, a.verdict])).toEqual([
    ["h1-1", "no_ebike"],
    ["h1-2", "no_ebike"],
    ["h1-3", "no_ebike"],
    ["h1-4", "ebike"],
  ]);
  expect(staff.map((s) => s.verdict)).toEqual(["no_ebike", "no_ebike", "no_ebike", "ebike"]);
  // and into InfluxDB, where the reports count false holds per lift over any range
  expect(core.points.filter((p) => p.measurement === "lift_verdict").map((p) => [p.tags.lift, p.tags.verdict, p.fields.hold_id, p.fields.by])).toEqual([
    ["h1", "no_ebike", "h1-1", "erin"],
    ["h1", "no_ebike", "h1-2", "erin"],
    ["h1", "no_ebike", "h1-3", "erin"],
    ["h1", "ebike", "h1-4", "erin"],
  ]);
  const falseHolds = alerts.filter((a) => a.kind === "false_holds");
  expect(falseHolds).toHaveLength(1);
  expect(falseHolds[0]).toMatchObject({ lift: "h1", severity: "warning", falseHolds: { count: 3, windowHours: 24 } });
});
