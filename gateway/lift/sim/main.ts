/**
 * Runs the simulated lift controller alone:
 *   node --import tsx gateway/lift/sim/main.ts [--port 4840] [--lifts 30] [--calls-per-minute 2]
 * Prints the endpoint, then one line per state change; Ctrl-C stops it.
 */
import { parseArgs } from "node:util";
import { startSimulatedController } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4840" },
    host: { type: "string", default: "127.0.0.1" },
    lifts: { type: "string", default: "4" },
    "calls-per-minute": { type: "string", default: "2" },
    quiet: { type: "boolean", default: false },
  },
});
const sim = await startSimulatedController({
  port: Number(values.port),
  host: values.host,
  lifts: Number(values.lifts),
  callsPerMinute: Number(values["calls-per-minute"]),
});
console.log(`simulated lift controller on ${sim.endpoint} (lifts ${sim.liftIds.join(", ")})`);
if (!values.quiet) {
  sim.events.on("change", (id: string, s: unknown) => console.log(new Date().toISOString(), id, JSON.stringify(s)));
  sim.events.on("hold", (id: string, h: unknown) => console.log(new Date().toISOString(), id, "HoldUntil write", JSON.stringify(h)));
  sim.events.on("announce", (id: string, text: string) => console.log(new Date().toISOString(), id, "announce:", text));
}
const stop = () => void sim.stop().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
