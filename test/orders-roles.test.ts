import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { ordersFeature } from "../gateway/orders/feature.ts";
import { workOrderPoint } from "../gateway/orders/measurements.ts";
import type { OrderChange, WorkOrder } from "../gateway/orders/types.ts";
import { SYSTEM } from "../gateway/orders/workflow.ts";
import { startAlertsGateway, throwEvent, type AlertsGateway } from "./alerts-fixtures.ts";
import { linli } from "./services/cli.ts";
import { waitFor } from "./services/ports.ts";

const PASSWORD = "correct horse battery";
/** A canvas's PNG as a data URL: ink (opaque) or an untouched pad (transparent). */
async function padPng(ink: boolean): Promise<string> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: ink ? 1 : 0 } } }).png().toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}

describe("work order roles: each account sees and does only what its role allows, on the server", () => {
  let a: AlertsGateway;
  let url: string;
  const cookies = new Map<string, string>();
  let liOrder: WorkOrder;
  let accounts: Awaited<ReturnType<typeof configAccounts>>;
  const changes: OrderChange[] = [];

  async function configAccounts() {
    const passwordHash = await hashPassword(PASSWORD);
    return [
      { user: "zhang", passwordHash, displayName: "张主管", role: "supervisor" as const },
      // no role: a guard, as every account was before roles
      { user: "wang", passwordHash, displayName: "王保安" },
      { user: "li", passwordHash, displayName: "李师傅", role: "technician" as const },
      { user: "zhao", passwordHash, displayName: "赵师傅", role: "technician" as const },
    ];
  }

  async function signIn(user: string, base = url): Promise<string> {
    const res = await fetch(`${base}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ user, password: PASSWORD }).toString() });
    expect(res.status, `login ${user}`).toBe(303);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
    cookies.set(user, cookie);
    return cookie;
  }

  const get = (user: string, path: string) => fetch(`${url}${path}`, { redirect: "manual", headers: { cookie: cookies.get(user) ?? "" } });
  const act = (user: string, body: unknown) => fetch(`${url}/api/orders/action`, { method: "POST", headers: { cookie: cookies.get(user) ?? "", "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    accounts = await configAccounts();
    a = await startAlertsGateway({ console: { accounts }, rules: { deviceSilent: false } }, { influx: { enabled: false }, orders: { autoCreate: { throw: true } } });
    url = a.gw.httpUrl;
    a.gw.gateway.core.bus.on("order.changed", (c) => changes.push(structuredClone(c)));
    for (const u of ["zhang", "wang", "li", "zhao"]) await signIn(u);
    const workflow = a.gw.gateway.feature(ordersFeature)!.workflow!;
    liOrder = workflow.create({ type: "repair", place: { site: "demo", device: "lift-07", building: "3" }, description: "轿厢灯不亮", assignee: "li" }, SYSTEM);
  });

  afterAll(async () => {
    await a?.stop();
  });

  it("a throw event opens an incident work order by rule (orders.autoCreate.throw), once", async () => {
    const device = await a.gw.client();
    await device.publishAsync("linli/demo/throw/throw-cam-01/event", JSON.stringify(throwEvent({ eventId: "t-rule" })), { qos: 1 });
    await waitFor("the incident order", () => changes.some((c) => c.record.event === "created" && c.order.type === "incident"), 3_000);
    const order = changes.find((c) => c.order.type === "incident")!.order;
    expect(order).toMatchObject({ state: "open", createdBy: "system", place: { building: "12", floor: 14, device: "throw-cam-01" } });
    expect(order.alertId).toMatch(/^al-/);
    // the supervisor's one-click list no longer offers that alert
    const offered = (await (await get("zhang", "/api/orders/alerts")).json()) as { alerts: Array<{ id: string }> };
    expect(offered.alerts.map((x) => x.id)).not.toContain(order.alertId);
    // and a second order from it is refused as a duplicate
    expect((await act("zhang", { action: "from-alert", alertId: order.alertId })).status).toBe(409);
  });

  it("a guard cannot open work orders at all, and a technician gets no guard room", async () => {
    for (const path of ["/orders", `/orders/${liOrder.id}`, "/orders.js", "/api/orders", `/api/orders/one?id=${liOrder.id}`, `/api/orders/pdf?id=${liOrder.id}`]) {
      expect((await get("wang", path)).status, path).toBe(403);
    }
    expect((await act("wang", { action: "accept", id: liOrder.id, version: liOrder.version })).status).toBe(403);
    // the page says so in words, and gives nothing of the order
    const page = await (await get("wang", `/orders/${liOrder.id}`)).text();
    expect(page).toContain("您的账号角色无权查看工单");
    expect(page).not.toContain("轿厢灯不亮");
    expect((await get("li", "/api/alerts")).status).toBe(403);
    const home = await get("li", "/");
    expect(home.status).toBe(303);
    expect(home.headers.get("location")).toBe("/orders");
  });

  it("a technician sees only their own orders, and cannot change another's", async () => {
    const list = (await (await get("zhao", "/api/orders")).json()) as { orders: WorkOrder[] };
    expect(list.orders).toEqual([]);
    const mine = (await (await get("li", "/api/orders")).json()) as { orders: WorkOrder[] };
    expect(mine.orders.map((o) => o.id)).toEqual([liOrder.id]);
    expect((await get("zhao", `/api/orders/one?id=${liOrder.id}`)).status).toBe(404);
    expect((await get("zhao", `/api/orders/pdf?id=${liOrder.id}`)).status).toBe(404);
    expect((await act("zhao", { action: "accept", id: liOrder.id, version: liOrder.version })).status).toBe(404);
    // nor open, assign or close any
    expect((await act("li", { action: "create", type: "repair", device: "x", description: "y" })).status).toBe(403);
    expect((await get("li", "/api/orders/staff")).status).toBe(403);
    expect((await act("li", { action: "close", id: liOrder.id, version: liOrder.version, reason: "false_alarm", note: "n" })).status).toBe(403);
  });

  it("refuses a replayed request, a forged session, and an upload from another site's form", async () => {
    const first = await act("li", { action: "accept", id: liOrder.id, version: liOrder.version });
    expect(first.status).toBe(200);
    const replay = await act("li", { action: "accept", id: liOrder.id, version: liOrder.version });
    expect(replay.status).toBe(409);
    const forged = await fetch(`${url}/api/orders`, { headers: { cookie: "linli_console=forged-token" } });
    expect(forged.status).toBe(401);
    const form = new FormData();
    form.append("photo", new Blob([Buffer.from([0xff, 0xd8, 0xff, 0xe0])], { type: "image/jpeg" }), "x.jpg");
    const version = (await (await get("li", `/api/orders/one?id=${liOrder.id}`)).json()).order.version as number;
    const crossSite = await fetch(`${url}/api/orders/photo?id=${liOrder.id}&version=${version}`, { method: "POST", headers: { cookie: cookies.get("li")! }, body: form });
    expect(crossSite.status).toBe(403);
    // a form post (not JSON) is refused too
    const formPost = await fetch(`${url}/api/orders/action`, { method: "POST", headers: { cookie: cookies.get("li")!, "content-type": "application/x-www-form-urlencoded" }, body: `action=start&id=${liOrder.id}&version=${version}` });
    expect(formPost.status).toBe(415);
  });

  it("a technician cannot sign off, and nobody signs off their own job", async () => {
    const DRAWN = await padPng(true);
    let v = (await (await act("li", { action: "start", id: liOrder.id, version: (await (await get("li", `/api/orders/one?id=${liOrder.id}`)).json()).order.version })).json()).order.version as number;
    const blank = await act("li", { action: "done", id: liOrder.id, version: v, signature: await padPng(false) });
    expect(blank.status).toBe(400); // an empty (transparent) pad is not a signature
    v = (await (await act("li", { action: "done", id: liOrder.id, version: v, signature: DRAWN })).json()).order.version as number;
    expect((await act("li", { action: "sign-off", id: liOrder.id, version: v, signature: DRAWN })).status).toBe(403);
    const signed = await act("zhang", { action: "sign-off", id: liOrder.id, version: v, signature: DRAWN });
    expect(signed.status).toBe(200);
    expect(((await signed.json()) as { order: WorkOrder }).order.state).toBe("signed_off");
    // what goes to InfluxDB: time to accept and to finish, per type
    const point = workOrderPoint(changes.find((c) => c.record.event === "signed_off")!);
    expect(point.tags).toMatchObject({ type: "repair", event: "signed_off", state: "signed_off", building: "3", device: "lift-07" });
    expect(point.fields.accept_ms).toBeGreaterThanOrEqual(0);
    expect(point.fields.finish_ms).toBeGreaterThanOrEqual(point.fields.accept_ms!);
    expect(point.fields.overdue).toBe(0);
  });

  it("`linli console users` manages accounts the running console signs in, and sessions survive a restart", async () => {
    const config = join(a.gw.dataDir, "linli.yaml");
    writeFileSync(config, `dataDir: ${a.gw.dataDir}\n`);
    const add = await linliWithStdin(["console", "users", "add", "sun", "--role", "technician", "--config", config], "short", a.gw.dataDir);
    expect(add.code).toBe(1);
    expect(add.stderr).toContain("at least 8 characters");
    const withPassword = await linliWithStdin(["console", "users", "add", "sun", "--role", "technician", "--name", "孙师傅", "--config", config], PASSWORD, a.gw.dataDir);
    expect(withPassword.code).toBe(0);
    const sun = await signIn("sun");
    expect((await fetch(`${url}/api/orders`, { headers: { cookie: sun } })).status).toBe(200);
    expect((await linli(["console", "users", "set-role", "sun", "guard", "--config", config], { cwd: a.gw.dataDir, timeoutMs: 30_000 })).code).toBe(0);
    // the new role applies to the session at once
    expect((await fetch(`${url}/api/orders`, { headers: { cookie: sun } })).status).toBe(403);
    const list = await linli(["console", "users", "list", "--config", config], { cwd: a.gw.dataDir, timeoutMs: 30_000 });
    expect(list.stdout).toContain("sun\tguard\t孙师傅");

    // an alert still open across the restart can still be made an order in one click
    const device = await a.gw.client();
    await device.publishAsync("linli/demo/charger/charger-05/alarm", JSON.stringify({ ts: Date.now(), alarmId: "a-9", port: 2, type: "over_temp", value: 95, threshold: 90 }), { qos: 1 });
    await waitFor("the charger alert", () => a.changes.some((c) => c.alert.type === "charger_over_temp"), 3_000);
    const chargerAlert = a.changes.find((c) => c.alert.type === "charger_over_temp")!.alert.id;

    const dataDir = a.gw.dataDir;
    await a.stop(true);
    a = await startAlertsGateway({ console: { accounts }, rules: { deviceSilent: false } }, { influx: { enabled: false } }, dataDir);
    url = a.gw.httpUrl;
    const after = await fetch(`${url}/api/orders`, { headers: { cookie: cookies.get("zhang")! } });
    expect(after.status).toBe(200);
    // with the full history of the order
    const one = (await (await fetch(`${url}/api/orders/one?id=${liOrder.id}`, { headers: { cookie: cookies.get("zhang")! } })).json()) as { history: Array<{ event: string }> };
    expect(one.history.map((r) => r.event)).toEqual(["created", "assigned", "accepted", "started", "done", "signed_off"]);
    const offered = (await (await fetch(`${url}/api/orders/alerts`, { headers: { cookie: cookies.get("zhang")! } })).json()) as { alerts: Array<{ id: string }> };
    expect(offered.alerts.map((x) => x.id)).toContain(chargerAlert);

    expect((await linli(["console", "users", "remove", "sun", "--config", config], { cwd: dataDir, timeoutMs: 30_000 })).code).toBe(0);
    expect((await fetch(`${url}/api/orders`, { headers: { cookie: sun } })).status).toBe(401);
  });
});

/** `linli ...` with text on its standard input (the password). */
async function linliWithStdin(args: string[], input: string, cwd: string): Promise<{ code: number; stderr: string }> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [join(import.meta.dirname, "../bin/linli.js"), ...args], { cwd, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(`${input}\n`);
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  return { code, stderr };
}
