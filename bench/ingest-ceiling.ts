/**
 * The ceiling of `npm run bench:ingest`: aedes (the broker linli embeds) with an in-process
 * consumer that does JSON.parse and nothing else, in its own process so its CPU and RSS are its own.
 * Prints `L <port>` once listening, `M <k> <epoch ms>` as marker k is parsed, `D <epoch ms>` once
 * `total` messages are.
 *
 *   node --import tsx bench/ingest-ceiling.ts <total>
 */
import { createServer } from "node:net";
import { Aedes } from "aedes";

const total = Number(process.argv[2]);
if (!(total > 0)) throw new Error("usage: total");
const broker = await Aedes.createBroker();
let parsed = 0;
let markers = 0;
broker.subscribe(
  "linli/#",
  (packet, cb) => {
    JSON.parse(packet.payload.toString());
    if (packet.topic.includes("/bench-marker/")) process.stdout.write(`M ${markers++} ${Date.now()}\n`);
    if (++parsed === total) process.stdout.write(`D ${Date.now()}\n`);
    cb();
  },
  () => {},
);
const server = createServer(broker.handle);
server.listen(0, "127.0.0.1", () => process.stdout.write(`L ${(server.address() as { port: number }).port}\n`));
