/** The lift guard feature: what the gateway core, the demo and the tests import. */
export { liftConfigSchema, nodeIdsFor, type LiftConfig } from "./config.ts";
export { LiftGuardExtension, type LiftGuardDeps } from "./extension.ts";
export { liftMeasurements, liftBlock, liftHoldLatency } from "./records.ts";
export type { HoldRecord, LiftAlert, StaffAudit } from "./events.ts";
export { LiftGuard, type GuardSettings, type GuardAction, type Observation } from "./guard.ts";
export type { LiftLink, CarState, WriteResult } from "./controller/link.ts";
export { OpcuaLink } from "./controller/opcua-link.ts";
export { RelayLink, relayTopic } from "./controller/relay-link.ts";
export { startSimulatedController, SIM_NAMESPACE_URI, type SimControllerOptions, type SimulatedController } from "./sim/server.ts";
export { attachSimulatedRiders } from "./sim/riders.ts";
