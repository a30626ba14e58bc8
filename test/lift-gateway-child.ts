/**
 * Child process for the gateway kill -9 test: a whole gateway (embedded broker, ingest, detector with
 * real weights, lift guard over OPC UA) until it is killed.
 * Usage: node --import tsx test/lift-gateway-child.ts <endpoint> <brokerPort> <dataDir> <leaseMs> <liftId>
 */
import path from "node:path";
import { parseConfig } from "../gateway/config.ts";
import { detectorFeature } from "../gateway/detector/feature.ts";
import { Gateway } from "../gateway/gateway.ts";
import { createLogger } from "../gateway/log.ts";
import { liftFeature } from "../gateway/lift/feature.ts";

const [endpoint, brokerPort, dataDir, leaseMs, liftId] = process.argv.slice(2);
if (!endpoint || !brokerPort || !dataDir || !leaseMs || !liftId) throw new Error("usage: lift-gateway-child.ts <endpoint> <brokerPort> <dataDir> <leaseMs> <liftId>");
const config = parseConfig({
  site: "kill",
  logLevel: "silent",
  dataDir,
  broker: { port: Number(brokerPort) },
  http: { enabled: false },
  influx: { enabled: false },
  alerts: { enabled: false },
  // the porch bicycle photo stands in for an e-bike (the COCO model maps only motorbike to e-bike)
  detector: { modelsDir: path.join(dataDir, "models"), mirror: path.resolve(import.meta.dirname, "../../shared/models"), ebikeClasses: ["bicycle", "motorbike"] },
  lift: { opcua: { endpoint }, lifts: { [liftId]: {} }, frameStaleMs: 8_000, leaseMs: Number(leaseMs), renewMs: Math.floor(Number(leaseMs) / 3) },
});
const gateway = await Gateway.start(config, { log: createLogger("silent") });
const detector = gateway.feature(detectorFeature);
const guard = gateway.feature(liftFeature);
if (!detector || !guard) throw new Error("the gateway did not start the detector and the lift guard");
await detector.ready();
const deadline = Date.now() + 20_000;
while (!guard.status()[liftId]?.car) {
  if (Date.now() > deadline) throw new Error("no car state over OPC UA");
  await new Promise((r) => setTimeout(r, 50));
}
process.stdout.write("READY\n");
