import { EventEmitter } from "node:events";
import type { DeviceEvent } from "../devices/types.ts";

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
 * Every event that crosses from one feature to another. A feature adds its events here, so a
 * misspelt name or a wrong payload is a compile error at both ends.
 */
export interface GatewayEvents {
  "device.event": DeviceEvent;
  "device.rejected": Rejection;
}

type Listener<K extends keyof GatewayEvents> = (payload: GatewayEvents[K]) => void;

export class EventBus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  /** Returns the function that removes the listener, so a feature can drop all of its own in stop(). */
  on<K extends keyof GatewayEvents>(name: K, listener: Listener<K>): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  emit<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.#emitter.emit(name, payload);
  }
}
