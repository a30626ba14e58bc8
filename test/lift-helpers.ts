import { mkdtemp, rm } from "node:fs/promises";
import { parseConfig } from "../gateway/config.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Registry } from "prom-client";
import type { InboundMessage, MqttLink, PublishOptions } from "../gateway/broker/link.ts";
import { EventBus } from "../gateway/events.ts";
import type { Core } from "../gateway/extension.ts";
import { HttpRoutes } from "../gateway/http/routes.ts";
import type { Point } from "../gateway/influx/point.ts";
import { topicMatches } from "../gateway/broker/external.ts";

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An in-process MqttLink (no broker): what is published reaches matching subscribers, and is kept. */
export class MemoryMqtt implements MqttLink {
  readonly published: { topic: string; payload: Buffer; options?: PublishOptions }[] = [];
  readonly #subs = new Set<{ filter: string; handler: (m: InboundMessage) => void }>();

  async subscribe(filter: string, handler: (m: InboundMessage) => void): Promise<() => Promise<void>> {
    const sub = { filter, handler };
    this.#subs.add(sub);
    return async () => {
      this.#subs.delete(sub);
    };
  }

  async publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void> {
    const buf = typeof payload === "string" ? Buffer.from(payload) : payload;
    this.published.push({ topic, payload: buf, ...(options ? { options } : {}) });
    for (const s of this.#subs) if (topicMatches(s.filter, topic)) s.handler({ topic, payload: buf });
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }
}

export interface TestCore extends Core {
  points: Point[];
  memory: MemoryMqtt;
  cleanup(): Promise<void>;
}

/** The core objects a feature gets, built for a test: a temp data dir, a silent logger, an in-memory MQTT. */
export async function testCore(site = "demo", mqtt?: MqttLink, config: Record<string, unknown> = {}): Promise<TestCore> {
  const dataDir = await mkdtemp(join(tmpdir(), "linli-lift-"));
  const points: Point[] = [];
  const memory = new MemoryMqtt();
  const errors: unknown[] = [];
  return {
    config: parseConfig({ site, ...config }, {}),
    bus: new EventBus((_event, err) => errors.push(err)),
    mqtt: mqtt ?? memory,
    memory,
    writePoint: (p) => void points.push(p),
    points,
    metrics: new Registry(),
    log: pino({ level: process.env.LINLI_TEST_LOG ?? "silent" }),
    http: new HttpRoutes(),
    dataDir,
    cleanup: async () => {
      await rm(dataDir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`bus listener errors: ${errors.map(String).join("; ")}`);
    },
  };
}
