import type { EventBus } from "../../events.ts";
import type { SimulatedController } from "./server.ts";

/**
 * Demo only: when the detector sees an e-bike at a simulated lift whose car stands idle with its
 * doors closed, a simulated rider presses the landing button and the doors open, as someone
 * wheeling an e-bike in would. Without it, camera frames and simulated cars are unrelated and the
 * demo would rarely show a hold. Returns the function that detaches it.
 */
export function attachSimulatedRiders(sim: SimulatedController, bus: EventBus, site: string): () => void {
  const known = new Set(sim.liftIds);
  return bus.on("lift.detection", (d) => {
    if (d.site !== site || !d.ebike || !known.has(d.lift)) return;
    const s = sim.state(d.lift);
    if (s.mode === "normal" && !s.moving && (s.door === "closed" || s.door === "closing")) sim.call(d.lift, s.floor);
  });
}
