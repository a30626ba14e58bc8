import { EventEmitter } from "node:events";
import type { DeviceEvent } from "../devices/types.ts";
import type { BackPressure } from "./influx/writer.ts";
import type { Quarantined } from "./storage/quarantine.ts";

/** A message the ingest path refused, with the reason it is counted under. */
export interface Rejection {
  topic: string;
  reason: RejectReason;
  detail: string;
  receivedAt: number;
}

export type RejectReason =
  | "bad_topic"
  | "unknown_kind"
  | "unknown_channel"
  | "oversize"
  | "malformed_json"
  | "schema"
  | "device_mismatch"
  | "duplicate"
  | "bad_image";

/**
 * Every event that crosses from one feature to another, so a misspelt name or a wrong payload is a
 * compile error at both ends. The core declares the ingest path's events here; a feature declares
 * its own from its folder by merging into this interface:
 *
 *     declare module "../events.ts" {
 *       interface GatewayEvents { "lift.hold": HoldRecord }
 *     }
 */
export interface GatewayEvents {
  "device.event": DeviceEvent;
  "device.rejected": Rejection;
  /** the spool stopped (`on`) or resumed (`off`) taking points: QoS 1 devices go unacknowledged meanwhile */
  "gateway.backpressure": BackPressure & { site: string };
  /** a damaged state file was moved aside at start and replaced by a fresh one (gateway/storage) */
  "state.quarantined": Quarantined & { site: string };
}

type Listener<K extends keyof GatewayEvents> = (payload: GatewayEvents[K]) => void;

/** What a feature sees of the event bus. */
export interface Bus {
  /** Returns the function that removes the listener. */
  on<K extends keyof GatewayEvents>(name: K, listener: Listener<K>): () => void;
  emit<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void;
}

export class EventBus implements Bus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  /** A listener that throws is reported here; it must not break the emitter (the ingest path). */
  constructor(private readonly onListenerError: (event: string, err: unknown) => void) {
    this.#emitter.setMaxListeners(100);
  }

  on<K extends keyof GatewayEvents>(name: K, listener: Listener<K>): () => void {
    const guarded = (payload: GatewayEvents[K]) => {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(name, err);
      }
    };
    this.#emitter.on(name, guarded);
    return () => this.#emitter.off(name, guarded);
  }

  emit<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.#emitter.emit(name, payload);
  }

  /** A view of this bus for one feature: close() removes every listener added through it. */
  scope(): ScopedBus {
    return new ScopedBus(this);
  }
}

export class ScopedBus implements Bus {
  readonly #offs = new Set<() => void>();

  constructor(private readonly parent: EventBus) {}

  on<K extends keyof GatewayEvents>(name: K, listener: Listener<K>): () => void {
    const off = this.parent.on(name, listener);
    const remove = () => {
      this.#offs.delete(remove);
      off();
    };
    this.#offs.add(remove);
    return remove;
  }

  emit<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.parent.emit(name, payload);
  }

  close(): void {
    for (const off of [...this.#offs]) off();
  }
}
