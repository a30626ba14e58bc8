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
