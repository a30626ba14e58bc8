import type { MqttClient } from "mqtt";
import { CommandVerifier, type VerifyResult } from "../gateway/security/envelope.ts";
import type { TestGateway } from "./services/gateway.ts";

export interface Received {
  /** the command as it arrived */
  body: { cmd: string; port: number; reason: string; seq: number; ts: number; nonce: string; expiresAt: number };
  /** the charger's own check of its envelope, as its firmware would make it */
  verdict: VerifyResult;
  at: number;
}

/**
 * A charger on the gateway's broker, as firmware would be: it subscribes to its own cmd topic,
 * checks each command's seal, and acks on its ack topic (or stays silent, or refuses).
 */
export class SimCharger {
  readonly received: Received[] = [];
  readonly #verifier = new CommandVerifier({ maxTtlMs: 60_000 });
  answer: "ack" | "silent" | { refuse: string } = "ack";

  private constructor(
    readonly client: MqttClient,
    readonly topics: { cmd: string; ack: string; alarm: string },
  ) {}

  static async connect(gw: TestGateway, site: string, id: string): Promise<SimCharger> {
    const topics = { cmd: `linli/${site}/charger/${id}/cmd`, ack: `linli/${site}/charger/${id}/ack`, alarm: `linli/${site}/charger/${id}/alarm` };
    const client = await gw.client({ clientId: `sim-${id}` });
    const sim = new SimCharger(client, topics);
    client.on("message", (topic, payload) => {
      if (topic !== topics.cmd) return;
      const body = JSON.parse(payload.toString("utf8")) as Received["body"];
      const verdict = sim.#verifier.verify(body);
      sim.received.push({ body, verdict, at: Date.now() });
      if (!verdict.ok || sim.answer === "silent") return;
      const ack = sim.answer === "ack" ? { seq: body.seq, ok: true } : { seq: body.seq, ok: false, error: sim.answer.refuse };
      void client.publishAsync(topics.ack, JSON.stringify(ack), { qos: 1 });
    });
    await client.subscribeAsync(topics.cmd, { qos: 1 });
    return sim;
  }

  alarm(alarm: { alarmId: string; type: string; port?: number; value?: number; threshold?: number }): Promise<unknown> {
    return this.client.publishAsync(this.topics.alarm, JSON.stringify({ ts: Date.now(), ...alarm }), { qos: 1 });
  }
}

/** Like waitFor (lift-helpers.ts), for a probe that has to await (a counter, a file). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
