import { createHmac } from "node:crypto";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsConfigSchema } from "../gateway/alerts/config.ts";
import { alertMessage } from "../gateway/alerts/messages.ts";
import { webhookRequest } from "../gateway/channels/render.ts";
import { startAlertsGateway, startReceiver, throwEvent, type AlertsGateway, type Received, type Receiver } from "./alerts-fixtures.ts";
import { freePort, waitFor } from "./services/ports.ts";

const DING_SECRET = "SEC0123456789abcdef";

/** The WeCom group robot's markdown message, as its API documents it: nothing more, nothing less. */
function wecomProblem(r: Received): string | undefined {
  if (r.method !== "POST" || r.path !== "/cgi-bin/webhook/send" || r.query.get("key") !== "wecom-key") return `bad request line ${r.method} ${r.path}`;
  if (!String(r.headers["content-type"]).startsWith("application/json")) return "not JSON";
  const b = r.body as { msgtype?: unknown; markdown?: { content?: unknown } };
  if (JSON.stringify(Object.keys(b)) !== '["msgtype","markdown"]' || b.msgtype !== "markdown") return "not a markdown message";
  if (!b.markdown || JSON.stringify(Object.keys(b.markdown)) !== '["content"]' || typeof b.markdown.content !== "string") return "markdown.content missing";
  if (Buffer.byteLength(b.markdown.content) > 4_096) return "content over 4096 bytes";
  return undefined;
}

/** The DingTalk custom robot's markdown message, with the signed URL of a robot that has 加签 on. */
function dingtalkProblem(r: Received, secret?: string): string | undefined {
  if (r.method !== "POST" || r.path !== "/robot/send" || r.query.get("access_token") !== "ding-token") return `bad request line ${r.method} ${r.path}`;
  if (secret) {
    const ts = Number(r.query.get("timestamp"));
    if (!Number.isInteger(ts) || Math.abs(Date.now() - ts) > 3_600_000) return "timestamp missing or over an hour off";
    const expected = createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64");
    if (r.query.get("sign") !== expected) return "sign does not match";
  }
  const b = r.body as { msgtype?: unknown; markdown?: { title?: unknown; text?: unknown } };
  if (JSON.stringify(Object.keys(b)) !== '["msgtype","markdown"]' || b.msgtype !== "markdown") return "not a markdown message";
  if (!b.markdown || typeof b.markdown.title !== "string" || typeof b.markdown.text !== "string") return "markdown.title/text missing";
  return undefined;
}

const robotReply = (problem: string | undefined) => (problem ? { status: 200, body: { errcode: 40_035, errmsg: problem } } : { status: 200, body: { errcode: 0, errmsg: "ok" } });

describe("webhooks: WeCom and DingTalk group robots and a generic JSON hook, with retry", () => {
  let wecom: Receiver;
  let wecomFlaky: Receiver;
  let ding: Receiver;
  let dingFlaky: Receiver;
  let json: Receiver;
  let hanging: Receiver;
  const problems: string[] = [];
  let a: AlertsGateway;
  let device: MqttClient;

  beforeAll(async () => {
    const check = (f: (r: Received) => string | undefined) => (r: Received) => {
      const p = f(r);
      if (p) problems.push(p);
      return robotReply(p);
    };
    wecom = await startReceiver(check(wecomProblem));
    // rate-limited twice (WeCom answers 200 with errcode 45009), then accepted
    wecomFlaky = await startReceiver((r, n) => (n <= 2 ? { status: 200, body: { errcode: 45_009, errmsg: "api freq out of limit" } } : check(wecomProblem)(r)));
    ding = await startReceiver(check((r) => dingtalkProblem(r, DING_SECRET)));
    // a server error first, then accepted
    dingFlaky = await startReceiver((r, n) => (n === 1 ? { status: 503, body: { error: "busy" } } : check((x) => dingtalkProblem(x))(r)));
    json = await startReceiver(() => ({ status: 204, body: {} }));
    // never answers: each attempt runs into the timeout
    hanging = await startReceiver(() => new Promise(() => {}));
    const refused = `http://127.0.0.1:${await freePort()}/nobody-home`;
    a = await startAlertsGateway(
      {
        webhooks: [
          { type: "json", url: refused, name: "refused" },
          { type: "json", url: `${hanging.url}/hook`, name: "hanging" },
          { type: "wecom", url: `${wecom.url}/cgi-bin/webhook/send?key=wecom-key`, name: "wecom" },
          { type: "wecom", url: `${wecomFlaky.url}/cgi-bin/webhook/send?key=wecom-key`, name: "wecom-flaky" },
          { type: "dingtalk", url: `${ding.url}/robot/send?access_token=ding-token`, secret: DING_SECRET, name: "dingtalk" },
          { type: "dingtalk", url: `${dingFlaky.url}/robot/send?access_token=ding-token`, name: "dingtalk-flaky" },
          { type: "json", url: `${json.url}/alerts`, name: "json", events: ["opened", "acknowledged", "resolved", "repeated"] },
        ],
        retry: { attempts: 4, minDelayMs: 300, maxDelayMs: 1_000, timeoutMs: 2_500 },
        publicUrl: "http://10.0.0.5:8080/",
        rules: { deviceSilent: false },
        console: { enabled: false },
      },
      { influx: { enabled: false } },
    );
    device = await a.gw.client();
  });

  afterAll(async () => {
    await a?.stop();
    await Promise.all([wecom, wecomFlaky, ding, dingFlaky, json, hanging].map((r) => r?.close()));
  });

  it("delivers a new alert in each robot's real markdown format while dead channels retry on their own", async () => {
    await device.publishAsync("linli/demo/throw/throw-cam-01/event", JSON.stringify(throwEvent()), { qos: 1 });
    // the healthy channels get it while the hanging one (listed before them) still waits on its first
    // attempt and the refused one is still retrying: a dead channel holds nobody up
    await waitFor("healthy channels", () => wecom.received.length === 1 && ding.received.length === 1 && json.received.length === 1, 2_000, 20);
    const healthyDone = Math.max(...[wecom, ding, json].map((r) => r.received[0]!.at));
    await waitFor("the hanging hook's first attempt", () => hanging.received.length >= 1, 1_000, 20);
    expect(hanging.received).toHaveLength(1);
    expect(healthyDone).toBeLessThan(hanging.received[0]!.at + 2_500);

    const content = (wecom.received[0]!.body as { markdown: { content: string } }).markdown.content;
    expect(content).toMatch(/^## <font color="warning">【严重】高空抛物<\/font>\n/);
    expect(content).toContain("> 地点: 12号楼 14层 · throw-cam-01");
    expect(content).toContain("> 事件: 新告警");
    expect(content).toContain("[打开安防控制台](http://10.0.0.5:8080/)");
    const md = (ding.received[0]!.body as { markdown: { title: string; text: string } }).markdown;
    expect(md.title).toBe("【严重】高空抛物");
    expect(md.text).toMatch(/^### 【严重】高空抛物\n- 事件: 新告警\n- 地点: 12号楼 14层 · throw-cam-01\n/);
    const body = json.received[0]!.body as { event: string; alert: { type: string; state: string; place: { building: string } } };
    expect(body).toMatchObject({ event: "opened", alert: { type: "throw", state: "open", place: { building: "12" } } });
    expect(String(json.received[0]!.headers["content-type"])).toMatch(/^application\/json/);
  });

  it("retries a robot that refuses or fails first, with backoff, until it accepts", async () => {
    await waitFor("the flaky robots accepted", () => wecomFlaky.received.length === 3 && dingFlaky.received.length === 2, 6_000);
    const gaps = wecomFlaky.received.slice(1).map((r, i) => r.at - wecomFlaky.received[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(200); // 300 ms +-20 %
    expect(gaps[1]).toBeGreaterThanOrEqual(450); // doubled
    // every attempt carried the same message; the last one was accepted
    const contents = wecomFlaky.received.map((r) => (r.body as { markdown: { content: string } }).markdown.content);
    expect(new Set(contents).size).toBe(1);
    expect(dingFlaky.received[1]!.body).toEqual(dingFlaky.received[0]!.body);
    await a.ext.idle();
    const metric = await a.gw.gateway.core.metrics.getSingleMetricAsString("linli_alert_deliveries_total");
    expect(metric).toMatch(/channel="wecom-flaky",outcome="retried"[^}]*} 1/);
    expect(metric).toMatch(/channel="dingtalk-flaky",outcome="retried"[^}]*} 1/);
    expect(metric).toMatch(/channel="wecom",outcome="ok"[^}]*} 1/);
    expect(metric).toMatch(/channel="refused",outcome="failed"[^}]*} 1/);
    expect(metric).toMatch(/channel="hanging",outcome="failed"[^}]*} 1/);
    expect(hanging.received).toHaveLength(4);
  });

  it("sends acknowledgements and resolutions, filtered by each hook's events", async () => {
    const id = a.ext.store!.unresolved()[0]!.id;
    await device.publishAsync("linli/demo/throw/throw-cam-01/event", JSON.stringify(throwEvent()), { qos: 1 });
    await waitFor("repeat on the JSON hook", () => json.received.length === 2, 3_000);
    a.ext.engine!.acknowledge(id, "王保安", "去现场");
    a.ext.engine!.resolve(id, "王保安", "阳台花盆，已联系住户");
    await waitFor("ack and resolve delivered", () => wecom.received.length === 3 && ding.received.length === 3 && json.received.length === 4, 3_000);
    // the robots are not told about repeats (default events), the JSON hook asked for them
    expect((json.received[1]!.body as { event: string; alert: { count: number } }).event).toBe("repeated");
    expect(json.received.map((r) => (r.body as { event: string }).event)).toEqual(["opened", "repeated", "acknowledged", "resolved"]);
    const ack = (wecom.received[1]!.body as { markdown: { content: string } }).markdown.content;
    expect(ack).toContain("> 事件: 已确认");
    expect(ack).toContain("> 确认人: 王保安 (去现场)");
    const resolved = (ding.received[2]!.body as { markdown: { text: string } }).markdown.text;
    expect(resolved).toContain("- 处理人: 王保安 (阳台花盆，已联系住户)");
    expect(problems).toEqual([]);
  });
});

describe("webhook bodies", () => {
  it("keeps WeCom content within 4096 bytes even for a long device message", () => {
    const cfg = alertsConfigSchema.parse({});
    const now = Date.now();
    const alert = {
      id: "al-x",
      dedupKey: "lift_fault:lift-1",
      type: "lift_fault" as const,
      severity: "warning" as const,
      state: "open" as const,
      place: { site: "demo", kind: "lift", device: "lift-1" },
      summary: "推理失败".repeat(600),
      details: {},
      evidence: [],
      count: 1,
      createdAt: now,
      lastAt: now,
    };
    const req = webhookRequest({ type: "wecom", url: "http://127.0.0.1/x" }, alertMessage({ event: "opened", alert, at: now }, cfg));
    const content = (req.body as { markdown: { content: string } }).markdown.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4_096);
    expect(content.endsWith("…")).toBe(true);
  });
});
