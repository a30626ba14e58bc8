import { connectAsync, type MqttClient } from "mqtt";
import type { DeviceKind } from "../../devices/types.ts";
import type { Config } from "../config.ts";
import { deviceCommandTopic, deviceTopic } from "../ingest/topic.ts";
import { encodePayload, Fleet, type FleetMessage, type FleetOptions } from "./fleet.ts";

/** Where a simulator next to the gateway publishes: its broker, embedded or external. */
export function brokerUrlOf(config: Config): string {
  const b = config.broker;
  return b.mode === "external" ? (b.url as string) : `mqtt://${b.host === "0.0.0.0" ? "127.0.0.1" : b.host}:${b.port}`;
}

export interface LiveOptions extends FleetOptions {
  url: string;
  site: string;
  /** speeds simulated time: 10 means ten seconds of traffic every second */
  rate: number;
  username?: string;
  password?: string;
  onSent?: (count: number) => void;
  /** sends a device's message the vendor's way (vendor.ts) instead of on MQTT, when it returns true */
  vendor?: { route(m: FleetMessage, now: number): boolean };
}

/** Publishes a simulated compound's traffic to a broker over MQTT, as real devices would. */
export class LiveSimulation {
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly fleet: Fleet,
    private readonly options: LiveOptions,
  ) {}

  static async start(kinds: readonly DeviceKind[], options: LiveOptions): Promise<LiveSimulation> {
    const client = await connectAsync(options.url, {
      clientId: `linli-sim-${process.pid}`,
      ...(options.username ? { username: options.username, password: options.password ?? "" } : {}),
    });
    const sim = new LiveSimulation(client, new Fleet(kinds, options), options);
    await sim.#answerCommands(kinds);
    sim.#run();
    return sim;
  }

  get sent(): number {
    return this.#sent;
  }

  #run(): void {
    const stepMs = 1_000;
    const startedAt = Date.now();
    let simulated = startedAt;
    this.#timer = setInterval(() => {
      const until = startedAt + (Date.now() - startedAt) * this.options.rate;
      // At rate > 1 several simulated seconds pass per real second; publish each in order.
      for (; simulated <= until; simulated += stepMs) {
        for (const m of this.fleet.tick(simulated)) {
          if (this.options.vendor?.route(m, Date.now())) {
            this.#sent++;
            continue;
          }
          // Devices stamp a message when they send it; the simulated clock only drives behaviour.
          const payload = Buffer.isBuffer(m.payload) || !("ts" in m.payload) ? m.payload : { ...m.payload, ts: Date.now() };
          this.client.publish(deviceTopic({ site: this.options.site, kind: m.kind, deviceId: m.deviceId, channel: m.channel }), encodePayload(payload), { qos: 0 });
          this.#sent++;
        }
      }
      this.options.onSent?.(this.#sent);
    }, 200);
  }

  /** Simulated devices that answer commands (chargers acknowledging a port cut) do so, as real ones would. */
  async #answerCommands(kinds: readonly DeviceKind[]): Promise<void> {
    const answering = kinds.filter((k) => k.simulator.answer);
    if (answering.length === 0) return;
    this.client.on("message", (topic, payload) => {
      const [, site, kind, deviceId, channel] = topic.split("/");
      const def = answering.find((k) => k.kind === kind);
      if (site !== this.options.site || channel !== "cmd" || !def || !deviceId) return;
      let command: unknown;
      try {
        command = JSON.parse(payload.toString("utf8"));
      } catch {
        return; // not a command this simulator understands: a real device would ignore it too
      }
      const reply = def.simulator.answer?.(command);
      if (reply) this.client.publish(deviceTopic({ site: this.options.site, kind: def.kind, deviceId, channel: reply.channel }), encodePayload({ ...reply.payload, ts: Date.now() }), { qos: 1 });
    });
    await Promise.all(answering.map((k) => this.client.subscribeAsync(deviceCommandTopic(this.options.site, k.kind, "+"), { qos: 1 })));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.client.endAsync();
  }
}
