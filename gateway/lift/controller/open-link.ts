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
        clockCheckMs: cfg.opcua.clockCheckMs,
        maxClockSkewMs: cfg.opcua.maxClockSkewMs,
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
 * A lift fault alert for every lift watched on the controller while its clock is off by more than
 * `lift.opcua.maxClockSkewMs`, resolved when the clocks agree again. Holds stay right (leases are
 * written in the controller's time), but a controller whose clock drifts needs someone to look: its
 * own logs and timers are off, and a clock that jumps between two measurements would shift a lease.
 * Its own alert kinds keep it apart from the guard's faults, which agreeing clocks must not close.
 */
function clockSkewAlerts(core: Pick<Core, "config" | "log" | "bus">): (change: ClockSkewChange, lifts: readonly string[]) => void {
  const alert = liftAlerts(core);
  return (change, lifts) => {
    const offset = `${(Math.abs(change.offsetMs) / 1000).toFixed(1)} s ${change.offsetMs > 0 ? "ahead of" : "behind"} the gateway's`;
    const message = change.skewed
      ? `lift controller clock ${offset} (more than ${change.maxSkewMs} ms): leases are written in the controller's time; set the controller's clock (NTP)`
      : `lift controller clock agrees with the gateway's again (${offset})`;
    for (const lift of lifts) alert(lift, change.skewed ? "clock_skew" : "clock_agreed", change.skewed ? "warning" : "info", message);
  };
}
