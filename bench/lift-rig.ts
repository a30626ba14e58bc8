/**
 * bench/lift.ts's world outside the gateway, in a process of its own as it is on a site: the lift
 * controller (a real OPC UA server, every car stopped with its doors open) and the cameras (an MQTT
 * client publishing each lift's frames). It runs the rounds: clear frames until no car is held, then
 * every lift's camera switches to e-bike frames at the same moment, until every car's hold is
 * accepted. It reports, per round and lift, when the first e-bike frame was published and when the
 * controller accepted the hold, both on this process's clock.
 *
 * Driven over IPC by bench/lift.ts (`fork`); not meant to run alone.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { startSimulatedController } from "../gateway/lift/sim/server.ts";

export type RigCommand =
  | { type: "start"; lifts: number; images: string }
  | { type: "run"; brokerPort: number | null; site: string; rounds: number; fps: number }
  | { type: "stop" };

export type RigReport =
  | { type: "ready"; endpoint: string; ids: string[] }
  | { type: "frames"; ebike: boolean; k: number }
  | { type: "round"; round: number; held: Array<{ lift: string; publishedAt: number; heldAt: number | undefined }> }
  | { type: "done" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const send = (m: RigReport) => process.send?.(m);

let sim: Awaited<ReturnType<typeof startSimulatedController>> | undefined;
let camera: MqttClient | undefined;
let ids: string[] = [];
let bicycle: Buffer;
let negatives: Buffer[] = [];

async function start(c: Extract<RigCommand, { type: "start" }>): Promise<void> {
  ids = Array.from({ length: c.lifts }, (_, i) => `lift-${String(i + 1).padStart(2, "0")}`);
  // doors stay open for the whole run: every lift is "at a landing with its doors open"
  sim = await startSimulatedController({ port: 0, lifts: ids, timing: { doorDwellMs: 3_600_000 }, minFloor: 1, maxFloor: 30 });
  for (const id of ids) sim.call(id, sim.state(id).floor);
  bicycle = await readFile(path.join(c.images, "bicycle-dog-porch.jpg"));
  negatives = await Promise.all([0, 1, 2, 3, 4].map((i) => readFile(path.join(c.images, `coco-negative-${i}.jpg`))));
  send({ type: "ready", endpoint: sim.endpoint, ids });
}

/** One frame for every lift at once (over MQTT, or asked of the gateway when it injects verdicts); the publish time of each. */
async function frameAll(site: string, ebike: boolean, k: number): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  if (!camera) {
    const t = Date.now();
    for (const id of ids) sent.set(id, t);
    send({ type: "frames", ebike, k });
    return sent;
  }
  const client = camera;
  await Promise.all(
    ids.map(async (id, i) => {
      sent.set(id, Date.now());
      await client.publishAsync(`linli/${site}/lift/${id}/frame`, ebike ? bicycle : negatives[(i + k) % negatives.length]!, { qos: 0 });
    }),
  );
  return sent;
}

async function run(c: Extract<RigCommand, { type: "run" }>): Promise<void> {
  const controller = sim!;
  if (c.brokerPort !== null) camera = await connectAsync(`mqtt://127.0.0.1:${c.brokerPort}`, { reconnectPeriod: 0 });
  const held = () => ids.some((id) => controller.car(id).holdUntil > Date.now());
  for (let round = 0; round < c.rounds; round++) {
    // clear frames until every hold of the last round has lapsed
    for (let k = 0; held() || k < c.fps; k++) {
      await frameAll(c.site, false, k);
      await sleep(1000 / c.fps);
      if (k > c.fps * 20) throw new Error("holds not released");
    }
    const firstEbikeAt = new Map<string, number>();
    const heldAt = new Map<string, number>();
    const onHold = (id: string, h: { result: string }) => {
      if (h.result === "accepted" && firstEbikeAt.has(id) && !heldAt.has(id)) heldAt.set(id, Date.now());
    };
    controller.events.on("hold", onHold);
    const roundEnd = Date.now() + 6_000;
    for (let k = 0; heldAt.size < ids.length && Date.now() < roundEnd; k++) {
      const sent = await frameAll(c.site, true, k);
      for (const [id, t] of sent) if (!firstEbikeAt.has(id)) firstEbikeAt.set(id, t);
      await sleep(1000 / c.fps);
    }
    await sleep(200);
    controller.events.off("hold", onHold);
    send({ type: "round", round, held: ids.map((lift) => ({ lift, publishedAt: firstEbikeAt.get(lift)!, heldAt: heldAt.get(lift) })) });
  }
  await camera?.endAsync();
  send({ type: "done" });
}

process.on("message", (c: RigCommand) => {
  const done = c.type === "start" ? start(c) : c.type === "run" ? run(c) : sim!.stop().then(() => process.exit(0));
  done.catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
