import type { DeviceEvent } from "../../../devices/types.ts";
import type { GatewayEvents } from "../../events.ts";
import type { Texts } from "../../i18n.ts";
import type { AlertsConfig } from "../config.ts";
import type { AlertType } from "../types.ts";
import { cameraFaultAlert } from "./camera-fault.ts";
import { chargerAlert } from "./charger.ts";
import { chargerCommandAlert } from "./charger-command.ts";
import { deviceSilentAlert } from "./device-silent.ts";
import { ingestBackPressureAlert } from "./ingest-backpressure.ts";
import { stateQuarantinedAlert } from "./state-quarantined.ts";
import { liftFalseHoldsAlert } from "./lift-false-holds.ts";
import { liftFaultAlert } from "./lift-fault.ts";
import { liftHoldTimeoutAlert } from "./lift-hold-timeout.ts";
import { liftHoldAlert } from "./lift-hold.ts";
import { parkingDeniedPlateAlert } from "./parking-denied-plate.ts";
import type { AlertTypeModule, RuleAction } from "./rule.ts";
import { throwAlert } from "./throw.ts";

export type { RuleAction } from "./rule.ts";

/** Every kind of alert. A new one is a module in this folder and an entry here (and its name in AlertType). */
// `any`: each module's type list and details differ; the map below is how they are told apart
const modules: readonly AlertTypeModule<any, any>[] = [throwAlert, chargerAlert, liftHoldAlert, liftHoldTimeoutAlert, liftFaultAlert, liftFalseHoldsAlert, cameraFaultAlert, chargerCommandAlert, deviceSilentAlert, ingestBackPressureAlert, stateQuarantinedAlert, parkingDeniedPlateAlert];

/** The module of each alert type, for rendering. */
export const alertTypeModule = new Map<AlertType, AlertTypeModule<AlertType, unknown>>(modules.flatMap((m) => Object.keys(m.names).map((t) => [t as AlertType, m])));

/** Names staff read, in the console and in group-robot messages. */
export const typeNames = Object.fromEntries(modules.flatMap((m) => Object.entries(m.names))) as Record<AlertType, Texts>;

export function deviceRules(ev: DeviceEvent, cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onDeviceEvent?.(ev, cfg) ?? []);
}

export function holdRules(h: GatewayEvents["lift.hold"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onHold?.(h, cfg) ?? []);
}

export function liftAlertRules(a: GatewayEvents["lift.alert"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onLiftAlert?.(a, cfg) ?? []);
}

export function cameraStatusRules(s: GatewayEvents["camera.status"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onCameraStatus?.(s, cfg) ?? []);
}

export function chargerCommandRules(f: GatewayEvents["charger.command_failed"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onChargerCommandFailed?.(f, cfg) ?? []);
}

export function backPressureRules(b: GatewayEvents["gateway.backpressure"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onBackPressure?.(b, cfg) ?? []);
}

export function stateQuarantinedRules(q: GatewayEvents["state.quarantined"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onStateQuarantined?.(q, cfg) ?? []);
}

export function chargerCommandDoneRules(d: GatewayEvents["charger.command_done"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onChargerCommandDone?.(d, cfg) ?? []);
}

export function parkingDeniedPlateRules(p: GatewayEvents["parking.denied_plate"], cfg: AlertsConfig): RuleAction[] {
  return modules.flatMap((m) => m.onParkingDeniedPlate?.(p, cfg) ?? []);
}
