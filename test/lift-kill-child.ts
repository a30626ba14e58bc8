/**
 * Child process for the kill -9 test: holds one lift through the OPC UA link, renewing a short
 * lease, until it is killed. Usage: node --import tsx test/lift-kill-child.ts <endpoint> <liftId> <leaseMs>
 */
import { liftConfigSchema, nodeIdsFor } from "../gateway/lift/config.ts";
import { OpcuaLink } from "../gateway/lift/controller/opcua-link.ts";

const [endpoint, liftId, leaseArg] = process.argv.slice(2);
if (!endpoint || !liftId || !leaseArg) throw new Error("usage: lift-kill-child.ts <endpoint> <liftId> <leaseMs>");
const leaseMs = Number(leaseArg);
const cfg = liftConfigSchema.parse({});
const link = new OpcuaLink({ endpoint, nodeIds: (id) => nodeIdsFor(cfg, id) });
link.watch(liftId);
await link.start();
await link.ready();
let announced = false;
setInterval(() => {
  void link.hold(liftId, Date.now() + leaseMs).then((r) => {
    if (r.ok && !announced) {
      announced = true;
      process.stdout.write("HOLDING\n");
    }
  });
}, Math.floor(leaseMs / 3));
