import { createHmac } from "node:crypto";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../gateway/config.ts";
import { ordersFeature, type OrdersFeature } from "../gateway/orders/feature.ts";
import { startAlertsGateway, startReceiver, startWecomRobot, throwEvent, type AlertsGateway, type Received, type Receiver } from "./alerts-fixtures.ts";
import { testCore, type TestCore } from "./core.ts";
import { waitFor } from "./services/ports.ts";

const content = (r: Received) => (r.body as { markdown: { content: string } }).markdown.content;

/** How many alerts and how many overdue work orders one WeCom message carries: a digest says so in its title, a message of its own is one. */
function countsIn(r: Received): { alerts: number; orders: number } {
  const c = content(r);
  const alertDigest = /【告警汇总】\d+ 分钟内共 (\d+) 条/.exec(c);
  if (alertDigest) return { alerts: Number(alertDigest[1]), orders: 0 };
  const orderDigest = /【工单超时汇总】共 (\d+) 张/.exec(c);
  if (orderDigest) return { alerts: 0, orders: Number(orderDigest[1]) };
  if (c.includes("【工单超时】")) return { alerts: 0, orders: 1 };
  return { alerts: 1, orders: 0 };
}

const total = (rs: readonly Received[]) => rs.map(countsIn).reduce((t, n) => ({ alerts: t.alerts + n.alerts, orders: t.orders + n.orders }), { alerts: 0, orders: 0 });

describe("one WeCom robot shared by alerts and work order reminders", () => {
  let robot: Awaited<ReturnType<typeof startWecomRobot>>;
  let a: AlertsGateway;
  let orders: OrdersFeature;
  let device: MqttClient;

  beforeAll(async () => {
    robot = await startWecomRobot();
    const url = `${robot.url}/cgi-bin/webhook/send?key=k`;
    a = await startAlertsGateway(
      {
        webhooks: [{ type: "wecom", url, name: "security" }],
        pacing: { digestEveryMs: 2_000 },
        rules: { deviceSilent: false },
        console: { enabled: false },
      },
      {
        influx: { enabled: false },
        orders: {
          // every charger alarm opens a repair order, due 4 s later: 200 alarms, then 200 overdue orders
          autoCreate: { chargerAlarms: true },
          slaMinutes: { repair: 4 / 60 },
          // the property office wrote the same robot again, under another name, for the reminders
          escalation: { checkMs: 200, supervisorAfterMinutes: 60, webhooks: [{ type: "wecom", url, name: "orders-desk" }] },
        },
      },
    );
    orders = a.gw.gateway.feature(ordersFeature)!;
    device = await a.gw.client();
  });
  afterAll(async () => {
    await a?.stop();
    await robot?.close();
  });

  it("gets at most 20 messages in any minute from both together, and every alert and every reminder is in one of them", async () => {
    for (let c = 1; c <= 20; c++) {
      const id = `charger-${String(c).padStart(2, "0")}`;
      await Promise.all(
        Array.from({ length: 10 }, (_, p) =>
          device.publishAsync(`linli/demo/charger/${id}/alarm`, JSON.stringify({ ts: Date.now(), alarmId: `${id}-a${p}`, port: p + 1, type: "over_temp", value: 95, threshold: 90 }), { qos: 1 }),
        ),
      );
    }
    await waitFor("200 alerts and their 200 work orders", () => a.ext.store!.unresolved().length === 200 && orders.store!.list().length === 200, 15_000);
    await waitFor("every order reminded", () => orders.store!.list().every((o) => o.remindedAt !== undefined), 20_000);
    await waitFor("every alert and reminder at the robot", () => {
      const t = total(robot.received);
      return t.alerts >= 200 && t.orders >= 200;
    }, 60_000);
    await orders.idle();

    for (const r of robot.received) expect(robot.received.filter((x) => x.at > r.at - 60_000 && x.at <= r.at).length).toBeLessThanOrEqual(20);
    expect(robot.refusals).toBe(0);
    expect(robot.problems).toEqual([]);
    expect(total(robot.received)).toEqual({ alerts: 200, orders: 200 });
    // reminders went alone or as their own digest, never mixed into an alert digest
    const orderDigest = robot.received.map(content).find((c) => c.includes("【工单超时汇总】"));
    expect(orderDigest).toMatch(/^## <font color="warning">【工单超时汇总】共 \d+ 张<\/font>\n> WO-/);
    expect(orderDigest).not.toContain("告警汇总");

    // one channel under both names, counting both senders
    const health = a.gw.gateway.core.channels.health();
    expect(health).toEqual([expect.objectContaining({ name: "security", type: "wecom", perMinute: 20, queued: 0, failed: 0, failing: false })]);
    expect(health[0]!.sent + health[0]!.digested).toBe(400);
    expect(a.gw.gateway.core.channels.resolve("orders-desk")).toEqual({ name: "security", type: "wecom" });
    const metrics = await (await fetch(`${a.gw.httpUrl}/metrics`)).text();
    const messages = (source: string) => Number(new RegExp(`linli_alert_deliveries_total\\{channel="security",outcome="ok",source="${source}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(messages("alerts") + messages("orders")).toBe(robot.received.length);
    expect(messages("orders")).toBeGreaterThan(0);
  }, 120_000);
});

describe("an MQTT topic as a routed channel: building 12's security desk app", () => {
  let a: AlertsGateway;
  let device: MqttClient;
  let desk: MqttClient;
  const got: Array<{ body: { event: string; count?: number; alert?: { place: { building?: string; device: string } }; changes?: unknown[] }; retain: boolean; at: number }> = [];

  beforeAll(async () => {
    a = await startAlertsGateway(
      {
        webhooks: [{ type: "mqtt", topic: "linli/demo/desk/building-12", name: "desk-12", perMinute: 4 }],
        routes: [{ name: "building 12's desk", buildings: ["12"], to: ["desk-12"] }],
        pacing: { digestEveryMs: 1_000 },
        rules: { deviceSilent: false },
        console: { enabled: false },
      },
      { influx: { enabled: false } },
    );
    device = await a.gw.client();
    desk = await a.gw.client();
    desk.on("message", (_topic, payload, packet) => got.push({ body: JSON.parse(payload.toString()) as (typeof got)[number]["body"], retain: packet.retain, at: Date.now() }));
    await desk.subscribeAsync("linli/demo/desk/building-12", { qos: 1 });
  });
  afterAll(async () => {
    await a?.stop();
  });

  it("publishes only building 12's alerts on the desk's topic, paced to its perMinute with the rest in a digest, and keeps the retained alert states", async () => {
    for (let n = 1; n <= 10; n++) await device.publishAsync(`linli/demo/throw/throw-cam-${String(n).padStart(2, "0")}/event`, JSON.stringify(throwEvent({ building: "12" })), { qos: 1 });
    await device.publishAsync("linli/demo/throw/throw-cam-31/event", JSON.stringify(throwEvent({ building: "3" })), { qos: 1 });
    await waitFor("eleven alerts stored", () => a.ext.store!.unresolved().length === 11, 5_000);
    const counted = () => got.reduce((n, m) => n + (m.body.event === "digest" ? m.body.count! : 1), 0);
    await waitFor("all ten of building 12 on the desk topic", () => counted() >= 10, 10_000);
    await a.ext.idle();

    expect(counted()).toBe(10);
    expect(got.length).toBeLessThanOrEqual(4);
    expect(got.every((m) => !m.retain)).toBe(true);
    expect(got[0]!.body).toMatchObject({ event: "opened", alert: { place: { building: "12" } } });
    const digest = got.find((m) => m.body.event === "digest");
    expect(digest?.body.changes?.length).toBe(digest?.body.count);
    const everything = got.flatMap((m) => (m.body.event === "digest" ? (m.body.changes as Array<{ alert: { place: { device: string } } }>).map((c) => c.alert.place.device) : [m.body.alert!.place.device]));
    expect(everything).not.toContain("throw-cam-31");
    expect(new Set(everything).size).toBe(10);
    expect(a.gw.gateway.core.channels.health()).toEqual([expect.objectContaining({ name: "desk-12", type: "mqtt", perMinute: 4, failed: 0, queued: 0 })]);
    const metrics = await (await fetch(`${a.gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`linli_alert_deliveries_total\\{channel="desk-12",outcome="ok",source="alerts"[^}]*\\} ${got.length}`));

    // the retained state topic is as it was, for every alert, the desk's or not
    const watcher = await a.gw.client();
    const retained = new Set<string>();
    watcher.on("message", (topic, _payload, packet) => packet.retain && retained.add(topic));
    await watcher.subscribeAsync("linli/demo/alerts/#", { qos: 1 });
    await waitFor("eleven retained alert states", () => retained.size === 11, 3_000);
  });
});

describe("sending through core.channels, as a report would", () => {
  let robot: Receiver;
  let core: TestCore;
  const SECRET = "SEC0123456789abcdef";

  beforeAll(async () => {
    robot = await startReceiver(() => ({ status: 200, body: { errcode: 0, errmsg: "ok" } }));
    core = await testCore("demo", undefined, { alerts: { webhooks: [{ type: "dingtalk", url: `${robot.url}/robot/send?access_token=t`, secret: SECRET, name: "office" }] } });
  });
  afterAll(async () => {
    await core?.cleanup();
    await robot?.close();
  });

  it("renders a title, lines and a link as signed DingTalk markdown, and counts a message for a channel nobody configured", async () => {
    const sent = core.channels.send("office", { title: "每日汇总 / Daily summary", lines: ["告警 12 条", "", "12 alerts"], link: { text: "报表 / Report", url: "http://10.0.0.5:8080/reports/2026-12-03" } }, { source: "reports" });
    expect(sent).toBe(true);
    await core.channels.idle();
    expect(robot.received).toHaveLength(1);
    const r = robot.received[0]!;
    const ts = Number(r.query.get("timestamp"));
    expect(r.query.get("sign")).toBe(createHmac("sha256", SECRET).update(`${ts}\n${SECRET}`).digest("base64"));
    expect(r.body).toEqual({ msgtype: "markdown", markdown: { title: "每日汇总 / Daily summary", text: "### 每日汇总 / Daily summary\n- 告警 12 条\n\n- 12 alerts\n\n[报表 / Report](http://10.0.0.5:8080/reports/2026-12-03)" } });

    expect(core.channels.send("ofice", { title: "x", lines: [] }, { source: "reports" })).toBe(false);
    expect(await core.metrics.getSingleMetricAsString("linli_channel_unknown_total")).toMatch(/source="reports"[^}]*\} 1/);
  });

  it("refuses at start an mqtt channel without a topic or with a wildcard, and one robot written with two secrets", async () => {
    const start = (config: Record<string, unknown>) => () => parseConfig(config, {});
    expect(start({ alerts: { webhooks: [{ type: "mqtt", name: "desk" }] } })).toThrow(/alerts\.webhooks\.0\.topic: an mqtt channel needs a topic/);
    expect(start({ alerts: { webhooks: [{ type: "mqtt", topic: "linli/demo/desk/#" }] } })).toThrow(/not a topic to publish on/);
    expect(start({ orders: { escalation: { webhooks: [{ type: "wecom" }] } } })).toThrow(/orders\.escalation\.webhooks\.0\.url: a wecom channel needs a url/);
    const url = `${robot.url}/robot/send?access_token=t`;
    await expect(testCore("demo", undefined, { alerts: { webhooks: [{ type: "dingtalk", url, secret: "SECa" }] }, orders: { escalation: { webhooks: [{ type: "dingtalk", url, secret: "SECb" }] } } })).rejects.toThrow(/go to one destination but differ in type or secret/);
  });
});
