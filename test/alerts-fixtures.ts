import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { alertsConfigSchema, type AlertsConfigInput } from "../gateway/alerts/config.ts";
import { AlertsExtension } from "../gateway/alerts/extension.ts";
import { alertMeasurements } from "../gateway/alerts/measurements.ts";
import type { AlertChange } from "../gateway/alerts/types.ts";
import { configSchema, type ConfigInput } from "../gateway/config.ts";
import type { Core } from "../gateway/extension.ts";
import { sinkFor } from "../gateway/influx/connect.ts";
import { Spool } from "../gateway/influx/spool.ts";
import { InfluxWriter } from "../gateway/influx/writer.ts";
import { allMeasurements } from "../gateway/measurements.ts";
import { GatewayMetrics } from "../gateway/metrics.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort } from "./services/ports.ts";

export interface AlertsGateway {
  gw: TestGateway;
  ext: AlertsExtension;
  /** every alert.changed seen on the bus */
  changes: AlertChange[];
  stop(keepData?: boolean): Promise<void>;
}

/** Whether the core already mounts the alerts feature (config key `alerts`). */
const wired = "alerts" in (configSchema as unknown as { shape: Record<string, unknown> }).shape;

/**
 * A real test gateway (embedded broker, HTTP, InfluxDB writer when enabled) with the alerts
 * extension on its real Core. Once the core mounts the extension itself, the config goes in as
 * `alerts` and the gateway's own instance is used; until then the test starts it on the core.
 */
export async function startAlertsGateway(alerts: AlertsConfigInput, overrides: ConfigInput = {}, dataDir?: string): Promise<AlertsGateway> {
  const gw = await startTestGateway(wired ? ({ ...overrides, alerts } as ConfigInput) : overrides, ...(dataDir ? [dataDir] : []));
  const changes: AlertChange[] = [];
  const offChanges = gw.gateway.core.bus.on("alert.changed", (c) => changes.push(c));
  let ext = gw.gateway.extensions.find((e): e is AlertsExtension => e instanceof AlertsExtension);
  let writer: InfluxWriter | undefined;
  let spool: Spool | undefined;
  if (!ext) {
    let core: Core = gw.gateway.core;
    const config = core.config;
    if (config.influx.enabled && !allMeasurements.some((m) => m.name === "alert")) {
      // the core's writer refuses measurements it does not know yet: the same writer class, with `alert` known
      const measurements = [...allMeasurements, ...alertMeasurements];
      spool = new Spool(join(gw.dataDir, "alerts-test-spool.db"), 16 * 1024 * 1024);
      writer = new InfluxWriter(sinkFor(config.influx, measurements), spool, measurements, { batchSize: 100, flushIntervalMs: 100, minDelayMs: 100, maxDelayMs: 500 }, new GatewayMetrics(config.site), core.log);
      writer.start();
      const w = writer;
      core = { ...core, writePoint: (p) => w.write(p) };
    }
    ext = new AlertsExtension(core, alertsConfigSchema.parse(alerts));
    await ext.start();
  }
  const started = ext;
  const mine = !gw.gateway.extensions.includes(started);
  return {
    gw,
    ext: started,
    changes,
    async stop(keepData = false) {
      offChanges();
      if (mine) await started.stop();
      await writer?.stop();
      spool?.close();
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
