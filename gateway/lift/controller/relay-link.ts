import { lift } from "../../../devices/lift.ts";
import type { MqttLink } from "../../broker/link.ts";
import { deviceCommandTopic } from "../../ingest/topic.ts";
import { sealCommand } from "../../security/envelope.ts";
import type { CarState, LiftLink, WriteResult } from "./link.ts";

/**
 * Commands on `linli/<site>/lift/<id>/cmd` (JSON, QoS 1, never retained: a retained hold would
 * come back after the box reboots):
 *   {"cmd":"hold","until":1764300005000,"leaseMs":5000,"seq":7,"ts":1764300000000,"nonce":"…","expiresAt":1764300005000}
 *   {"cmd":"release","seq":8,"ts":1764300003000,"nonce":"…","expiresAt":1764300008000}
 *   {"cmd":"announce","text":"...","seq":9,"ts":1764300000000,"nonce":"…","expiresAt":1764300005000}
 * Every command is sealed (gateway/security/envelope.ts): a box refuses one whose nonce it has seen
 * or whose `expiresAt` has passed, so a captured hold cannot be replayed to block a lift.
 * A relay box closes its relay (wired in parallel with the car's door-open button) for `leaseMs`
 * from when it receives the command (its own clock need not agree with ours; `until` is for logs),
 * opens it when the lease runs out or on release, and also opens it when it loses the broker. The
 * button only acts while the car stands at a landing, so the box cannot stop a moving car.
 */
export interface RelayCommand {
  cmd: "hold" | "release" | "announce";
  until?: number;
  leaseMs?: number;
  text?: string;
  seq: number;
  ts: number;
  nonce: string;
  expiresAt: number;
}

/** A command older than this is refused by the box: a hold that arrives late is not a hold to act on. */
const COMMAND_TTL_MS = 5_000;

/** The relay-box link: same lease semantics over MQTT. Car state comes from lift/<id>/state messages, not from here. */
export class RelayLink implements LiftLink {
  readonly kind = "relay" as const;
  readonly providesState = false;
  #seq = 0;

  constructor(
    private readonly mqtt: MqttLink,
    private readonly site: string,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  watch(): void {}
  onState(_listener: (liftId: string, state: CarState | null) => void): () => void {
    return () => {};
  }

  async #send(liftId: string, body: Omit<RelayCommand, "seq" | "ts" | "nonce" | "expiresAt">): Promise<WriteResult> {
    const now = this.now();
    const cmd: RelayCommand = sealCommand({ ...body, seq: ++this.#seq, ts: now }, COMMAND_TTL_MS, now);
    try {
      await this.mqtt.publish(deviceCommandTopic(this.site, lift.kind, liftId), JSON.stringify(cmd), { qos: 1, retain: false });
      return { ok: true, at: this.now() };
    } catch (err) {
      return { ok: false, at: this.now(), detail: err instanceof Error ? err.message : String(err) };
    }
  }

  hold(liftId: string, until: number): Promise<WriteResult> {
    return this.#send(liftId, { cmd: "hold", until, leaseMs: Math.max(0, until - this.now()) });
  }

  release(liftId: string): Promise<WriteResult> {
    return this.#send(liftId, { cmd: "release" });
  }

  announce(liftId: string, text: string): Promise<WriteResult> {
    return this.#send(liftId, { cmd: "announce", text });
  }
}
