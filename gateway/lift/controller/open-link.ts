import type { Core } from "../../core.ts";
import { nodeIdsFor, type LiftConfig } from "../config.ts";
import { NoLink, type LiftLink } from "./link.ts";
import { RelayLink } from "./relay-link.ts";

/** The controller link the config names (`lift.link`), not yet started. */
export async function openLink(cfg: LiftConfig, core: Pick<Core, "mqtt" | "config" | "log">): Promise<LiftLink> {
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
        log: core.log,
      });
    }
    case "relay":
      return new RelayLink(core.mqtt, core.config.site);
    case "none":
      return new NoLink();
  }
}
