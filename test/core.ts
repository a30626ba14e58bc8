import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Registry } from "prom-client";
import { Consumers, topicMatches } from "../gateway/broker/consumers.ts";
import type { Consumer, InboundMessage, MqttLink, PublishOptions } from "../gateway/broker/link.ts";
import { parseConfig } from "../gateway/config.ts";
import { assembleCore, commandGateFor } from "../gateway/core-assembly.ts";
import type { HostCore } from "../gateway/feature-host.ts";
import type { Point } from "../gateway/influx/point.ts";

/** An in-process MqttLink (no broker): what is published reaches matching subscribers, and is kept. */
export class MemoryMqtt implements MqttLink {
  readonly published: { topic: string; payload: Buffer; options?: PublishOptions }[] = [];
  readonly #subs = new Set<{ filter: string; handler: (m: InboundMessage) => void }>();
  readonly #consumers = new Consumers(false);

  async subscribe(filter: string, handler: (m: InboundMessage) => void): Promise<() => Promise<void>> {
    const sub = { filter, handler };
    this.#subs.add(sub);
    return async () => {
      this.#subs.delete(sub);
    };
  }

  async consume(filter: string, consumer: Consumer): Promise<() => Promise<void>> {
    const remove = this.#consumers.add(filter, consumer);
    return async () => void remove();
  }

  async publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void> {
    const buf = typeof payload === "string" ? Buffer.from(payload) : payload;
    this.published.push({ topic, payload: buf, ...(options ? { options } : {}) });
    const consumed = this.#consumers.deliver({ topic, payload: buf });
    for (const s of this.#subs) if (topicMatches(s.filter, topic)) s.handler({ topic, payload: buf });
    await consumed;
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }
}

export interface TestCore extends HostCore {
  points: Point[];
  memory: MemoryMqtt;
  cleanup(): Promise<void>;
}

/**
 * The core services a feature gets, assembled as the gateway assembles them, for a test: a temp
 * data dir and evidence store, a silent logger, an in-memory MQTT link (or the given one) behind the
 * command gate, and no console (so `staff` recognises nobody until a test calls `staff.provide`).
 * A bus listener that threw fails cleanup().
 */
export async function testCore(site = "demo", mqtt?: MqttLink, config: Record<string, unknown> = {}): Promise<TestCore> {
  const dataDir = await mkdtemp(join(tmpdir(), "linli-core-"));
  const points: Point[] = [];
  const memory = new MemoryMqtt();
  const errors: unknown[] = [];
  const parsed = parseConfig({ site, ...config }, {});
  const core = assembleCore({
    config: parsed,
    mqtt: mqtt ?? memory,
    gate: commandGateFor(parsed),
    writePoint: (p) => void points.push(p),
    metrics: new Registry(),
    log: pino({ level: process.env.LINLI_TEST_LOG ?? "silent" }),
    dataDir,
    onListenerError: (_event, err) => errors.push(err),
  });
  return {
    ...core,
    points,
    memory,
    cleanup: async () => {
      await core.channels.stop();
      core.evidence.close();
      await rm(dataDir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`bus listener errors: ${errors.map(String).join("; ")}`);
    },
  };
}
