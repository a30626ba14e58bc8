import { EventEmitter } from "node:events";
import type { DeviceEvent } from "../devices/types.ts";
import type { AlertChange } from "./alerts/types.ts";
import type { DetectorFault, LiftDetection } from "./detector/events.ts";
import type { HoldRecord, LiftAlert, StaffAudit } from "./lift/events.ts";

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
  "lift.detection": LiftDetection;
  "lift.detector.fault": DetectorFault;
  "lift.hold": HoldRecord;
  "lift.alert": LiftAlert;
  "lift.staff": StaffAudit;
  "alert.changed": AlertChange;
}

type Listener<K extends keyof GatewayEvents> = (payload: GatewayEvents[K]) => void;

export class EventBus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  /** A listener that throws is reported here; it must not break the emitter (the ingest path). */
  constructor(private readonly onListenerError: (event: string, err: unknown) => void) {
    this.#emitter.setMaxListeners(100);
  }

  /** Returns the function that removes the listener, so a feature can drop all of its own in stop(). */
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
}
