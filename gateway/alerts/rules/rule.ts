import type { z } from "zod";
import type { DeviceEvent } from "../../../devices/types.ts";
import type { GatewayEvents } from "../../events.ts";
import type { Lang, Texts } from "../../i18n.ts";
import type { AlertsConfig } from "../config.ts";
import type { AlertCandidate, AlertType } from "../types.ts";

/** What a rule asks of the engine: open (or count) an alert, or close one whose cause is gone. */
export type RuleAction = { raise: AlertCandidate } | { resolve: string; note: string };

/**
 * One kind of alert, in one module: the types it raises with their names, the shape of its details,
 * the sentence staff read, and the rules that raise and resolve it. The details are checked against
 * `details` before they are rendered, so an alert stored by an older version shows its summary
 * instead of a wrong sentence.
 */
export interface AlertTypeModule<T extends AlertType = AlertType, D = unknown> {
  readonly names: Record<T, Texts>;
  readonly details: z.ZodType<D>;
  /** The details as a sentence; undefined when the rule's own summary says it better. */
  text(details: D, type: T, lang: Lang, timeZone: string): string | undefined;
  onDeviceEvent?(ev: DeviceEvent, cfg: AlertsConfig): RuleAction[];
  onHold?(hold: GatewayEvents["lift.hold"], cfg: AlertsConfig): RuleAction[];
  onLiftAlert?(alert: GatewayEvents["lift.alert"], cfg: AlertsConfig): RuleAction[];
  onCameraStatus?(status: GatewayEvents["camera.status"], cfg: AlertsConfig): RuleAction[];
  onChargerCommandFailed?(failure: GatewayEvents["charger.command_failed"], cfg: AlertsConfig): RuleAction[];
  onChargerCommandDone?(done: GatewayEvents["charger.command_done"], cfg: AlertsConfig): RuleAction[];
  onBackPressure?(change: GatewayEvents["gateway.backpressure"], cfg: AlertsConfig): RuleAction[];
  onStateQuarantined?(q: GatewayEvents["state.quarantined"], cfg: AlertsConfig): RuleAction[];
  onParkingDeniedPlate?(p: GatewayEvents["parking.denied_plate"], cfg: AlertsConfig): RuleAction[];
}

/** An alert to raise, with its details typed by its module. */
export type Raise<T extends AlertType, D> = Omit<AlertCandidate, "type" | "details"> & { type: T; details: D };

export function defineAlertType<const T extends AlertType, D>(module: AlertTypeModule<T, D>): AlertTypeModule<T, D> {
  return module;
}

/** Wraps a typed candidate for the engine, which stores details as plain JSON. */
export function raise<T extends AlertType, D extends object>(candidate: Raise<T, D>): RuleAction {
  return { raise: candidate as unknown as AlertCandidate };
}
