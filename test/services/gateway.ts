import { rmSync } from "node:fs";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { parseConfig, type ConfigInput } from "../../gateway/config.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { createLogger } from "../../gateway/log.ts";
import { freePort } from "./ports.ts";
import { tempDir } from "./process.ts";

export interface TestGateway {
  gateway: Gateway;
  /** the broker devices connect to */
  brokerUrl: string;
  httpUrl: string;
  dataDir: string;
  /** an MQTT client connected to the gateway's broker, closed by stop() */
  client(options?: IClientOptions): Promise<MqttClient>;
  /** stops the gateway; keeps the data dir when `keepData` */
  stop(keepData?: boolean): Promise<void>;
}

/**
 * A gateway in this process on free loopback ports with a temp data dir. Config keys given
 * override the test defaults; an embedded broker is used unless `broker` says otherwise.
 */
export async function startTestGateway(overrides: ConfigInput = {}, dataDir = tempDir("gateway")): Promise<TestGateway> {
  const brokerPort = await freePort();
  const httpPort = await freePort();
  const config = parseConfig({
    logLevel: "silent",
    dataDir,
    // Features a test does not name stay off: each suite turns on what it exercises.
    detector: { enabled: false },
    lift: { enabled: false },
    alerts: { enabled: false },
    learning: { enabled: false },
    chargers: { enabled: false },
    ...overrides,
    broker: { port: brokerPort, ...overrides.broker },
    http: { port: httpPort, ...overrides.http },
    influx: { flushIntervalMs: 100, retry: { minDelayMs: 100, maxDelayMs: 500 }, ...overrides.influx },
  });
  const gateway = await Gateway.start(config, { log: createLogger(process.env.LINLI_TEST_LOG ?? "silent") });
  const brokerUrl = config.broker.mode === "external" ? (config.broker.url as string) : `mqtt://127.0.0.1:${brokerPort}`;
  const clients: MqttClient[] = [];
  return {
    gateway,
    brokerUrl,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    dataDir,
    async client(options = {}) {
      const c = await connectAsync(brokerUrl, { reconnectPeriod: 0, ...options });
      clients.push(c);
      return c;
    },
    async stop(keepData = false) {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await gateway.stop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
