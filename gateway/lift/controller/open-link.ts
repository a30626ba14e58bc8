import type { Core } from "../../core.ts";
import { liftAlerts } from "../alert.ts";
import { nodeIdsFor, type LiftConfig } from "../config.ts";
import type { ClockSkewChange } from "./controller-clock.ts";
import { NoLink, type LiftLink } from "./link.ts";
import { RelayLink } from "./relay-link.ts";

/** The controller link the config names (`lift.link`), not yet started. */
export async function openLink(cfg: LiftConfig, core: Pick<Core, "mqtt" | "config" | "log" | "bus">): Promise<LiftLink> {
  switch (cfg.link) {
    case "opcua": {
      // node-opcua is large and only needed here: a gateway without OPC UA lifts never loads it.
      const { OpcuaLink } = await import("./opcua-link.ts");
      return new OpcuaLink({
        endpoint: cfg.opcua.endpoint,
        nodeIds: (id) => nodeIdsFor(cfg, id),
        samplingMs: cfg.opcua.samplingMs,
        reconnectInitialMs: cfg.opcua.reconnectInitialMs,
        reconnectMaxMs: cfg.opcua.reconnectMaxMs,
        onClockSkew: clockSkewAlerts(core),
        log: core.log,
      });
    }
    case "relay":
      return new RelayLink(core.mqtt, core.config.site);
    case "none":
      return new NoLink();
  }
}

/**
 * A lift fault alert for every lift watched on the controller when its clock is off by more than the
 * allowed skew. Holds stay right (leases are written in the controller's time), but a controller
 * whose clock drifts needs someone to look: its own logs and timers are off, and a clock that
 * jumps between two measurements would shift a lease. Agreeing again is logged by the link; it
 * does not clear the alert, since `fault_cleared` would also close a real fault of the guard.
 */
function clockSkewAlerts(core: Pick<Core, "config" | "log" | "bus">): (change: ClockSkewChange, lifts: readonly string[]) => void {
  const alert = liftAlerts(core);
  return (change, lifts) => {
    if (!change.skewed) return;
    const side = change.offsetMs > 0 ? "ahead of" : "behind";
    const message = `lift controller clock ${(Math.abs(change.offsetMs) / 1000).toFixed(1)} s ${side} the gateway's (more than ${change.maxSkewMs} ms): leases are written in the controller's time; set the controller's clock (NTP)`;
    for (const lift of lifts) alert(lift, "fault", "warning", message);
  };
}
