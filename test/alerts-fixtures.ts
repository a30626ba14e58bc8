import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AlertsConfigInput } from "../gateway/alerts/config.ts";
import { alertsFeature, type AlertsFeature } from "../gateway/alerts/feature.ts";
import type { AlertChange } from "../gateway/alerts/types.ts";
import type { ConfigInput } from "../gateway/config.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort } from "./services/ports.ts";

export interface AlertsGateway {
  gw: TestGateway;
  ext: AlertsFeature;
  /** every alert.changed seen on the bus */
  changes: AlertChange[];
  stop(keepData?: boolean): Promise<void>;
}

/** A real test gateway (embedded broker, HTTP, InfluxDB writer when enabled) with the alerts feature on. */
export async function startAlertsGateway(alerts: AlertsConfigInput, overrides: ConfigInput = {}, dataDir?: string): Promise<AlertsGateway> {
  const gw = await startTestGateway({ ...overrides, alerts }, ...(dataDir ? [dataDir] : []));
  const changes: AlertChange[] = [];
  const offChanges = gw.gateway.core.bus.on("alert.changed", (c) => changes.push(c));
  const ext = gw.gateway.feature(alertsFeature);
  if (!ext) throw new Error("the gateway did not start the alerts feature");
  return {
    gw,
    ext,
    changes,
    async stop(keepData = false) {
      offChanges();
      await gw.stop(keepData);
    },
  };
}

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: unknown;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A local HTTP endpoint on 127.0.0.1 that records every request and answers as `reply` says. */
export async function startReceiver(reply: (r: Received, n: number) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const r: Received = { method: req.method ?? "", path: url.pathname, query: url.searchParams, headers: req.headers, body, at: Date.now() };
      received.push(r);
      Promise.resolve(reply(r, received.length)).then(({ status, body: out }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A WeCom group robot as its API is documented: the markdown message only, and 20 messages a minute, past which it refuses with errcode 45009. */
export async function startWecomRobot(): Promise<Receiver & { refusals: number; problems: string[] }> {
  const problems: string[] = [];
  let refusals = 0;
  const r = await startReceiver((req) => {
    const b = req.body as { msgtype?: unknown; markdown?: { content?: unknown } };
    const bad =
      req.path !== "/cgi-bin/webhook/send" || req.query.get("key") !== "k"
        ? "bad request line"
        : JSON.stringify(Object.keys(b)) !== '["msgtype","markdown"]' || b.msgtype !== "markdown" || typeof b.markdown?.content !== "string"
          ? "not a markdown message"
          : Buffer.byteLength(b.markdown.content) > 4_096
            ? "content over 4096 bytes"
            : undefined;
    if (bad) problems.push(bad);
    const lastMinute = r.received.filter((x) => x.at > req.at - 60_000).length;
    if (lastMinute > 20) {
      refusals++;
      return { status: 200, body: { errcode: 45_009, errmsg: "api freq out of limit" } };
    }
    return { status: 200, body: bad ? { errcode: 40_035, errmsg: bad } : { errcode: 0, errmsg: "ok" } };
  });
  return Object.assign(r, {
    get refusals() {
      return refusals;
    },
    problems,
  });
}

let seq = 0;
/** A throw event as a camera sends it (devices/throw.ts schema). */
export function throwEvent(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: Date.now(),
    eventId: `t-${process.pid}-${++seq}`,
    building: "12",
    floor: 14,
    confidence: 0.91,
    track: [
      { t: 0, x: 0.51, y: 0.22 },
      { t: 400, x: 0.52, y: 0.61 },
    ],
    ...extra,
  };
}
