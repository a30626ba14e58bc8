import { deviceKinds } from "../../devices/index.ts";
import { parseConfig } from "../../gateway/config.ts";
import { sinkFor } from "../../gateway/influx/connect.ts";
import type { Point } from "../../gateway/influx/point.ts";
import { alertPoint } from "../../gateway/alerts/measurements.ts";
import type { Alert, AlertChange } from "../../gateway/alerts/types.ts";
import { workOrderPoint } from "../../gateway/orders/measurements.ts";
import type { OrderEvent, OrderType, WorkOrder } from "../../gateway/orders/types.ts";
import { allMeasurements } from "../../gateway/measurements.ts";
import { parkingOccupancy } from "../../gateway/parking/measurements.ts";
import { pointOf } from "../../gateway/influx/point.ts";
import { pointContext } from "../../gateway/privacy.ts";
import { checkPoint } from "../../gateway/influx/validate.ts";
import { seededRandom } from "../../gateway/simulate/fleet.ts";
import { writePastDay } from "../../gateway/simulate/past-day.ts";

/**
 * The data the boards are proven against: a simulated day through the real ingest pipeline
 * (`writePastDay`, lift holds included), plus what that mode does not produce because it runs no
 * detector, no alert engine, no work orders, no parking counts and no memory sampler. Those supplements are written
 * here through the writers' own point builders where they have one (alerts: alertPoint; work
 * orders: workOrderPoint), and the schema check in dashboards.test.ts still holds every panel to docs/schema.md.
 */
export interface SeedOptions {
  url: string;
  site: string;
  /** epoch ms: the end of the simulated stretch */
  end: number;
  hours: number;
  seed: number;
  counts: Record<string, number>;
}

export const SIMULATOR_HOST = "simulator";

export interface SeedResult {
  points: number;
  messages: number;
  supplements: number;
}

export async function seedDay(o: SeedOptions): Promise<SeedResult> {
  const config = parseConfig({ influx: { url: o.url } }, {});
  const measurements = new Map(allMeasurements.map((m) => [m.name, m]));
  const sink = sinkFor(config.influx, allMeasurements);
  const day = await writePastDay(deviceKinds, allMeasurements, sink, pointContext(config.privacy), { site: o.site, seed: o.seed, hours: o.hours, end: o.end, counts: o.counts });
  // Through the live writer's own checks (empty tags dropped, field types coerced).
  const extra = supplements(o).map((p) => {
    const checked = checkPoint(p, measurements);
    if (!checked.ok) throw new Error(checked.error);
    return checked.point;
  });
  for (let i = 0; i < extra.length; i += 5_000) await sink.write(extra.slice(i, i + 5_000));
  await sink.close();
  return { ...day, supplements: extra.length };
}

function supplements(o: SeedOptions): Point[] {
  const random = seededRandom(o.seed + 1);
  const start = o.end - o.hours * 3_600_000;
  const out: Point[] = [];
  const lifts = Array.from({ length: o.counts.lift ?? 0 }, (_, i) => `lift-${String(i + 1).padStart(2, "0")}`);

  // the detector's verdict on every lift frame (one every 15 s per lift)
  for (const lift of lifts) {
    for (let t = start; t <= o.end; t += 15_000) {
      const ebike = random() < 0.01;
      const score = ebike ? 0.5 + 0.45 * random() : 0.3 * random();
      const inference = 25 + 40 * random();
      out.push({
        measurement: "lift_frame",
        tags: { site: o.site, lift, model: "yolox-nano-coco-416", role: "active" },
        ts: t,
        fields: { inference_ms: inference, total_ms: inference + 5 + 10 * random(), ebike_score: score, ebike, detections: Math.floor(4 * random()) + (ebike ? 1 : 0), dropped: random() < 0.05 ? 1 + Math.floor(3 * random()) : 0 },
      });
      // door-aware judging: between judged frames, the closed car's other frames are counted as skipped
      if (!ebike && random() < 0.5) out.push({ measurement: "lift_frame_skip", tags: { site: o.site, lift, reason: random() < 0.7 ? "doors_closed" : "moving" }, ts: t + 1, fields: { count: 1 + Math.floor(10 * random()) } });
      // a candidate in shadow mode on the first lift, judging the same frames
      if (lift === lifts[0]) {
        const shadowScore = Math.min(1, score + 0.2 * random());
        out.push({ measurement: "lift_frame", tags: { site: o.site, lift, model: "site-ebike-1", role: "shadow" }, ts: t, fields: { inference_ms: inference, total_ms: inference + 8, ebike_score: shadowScore, ebike: shadowScore >= 0.5, detections: 1, dropped: 0 } });
      }
    }
  }

  // alerts: opened, most acknowledged, most of those resolved; a few stay open
  const types = [
    ["throw", "critical", "throw"],
    ["charger_over_temp", "critical", "charger"],
    ["lift_hold", "warning", "lift"],
    ["device_silent", "info", "gate"],
  ] as const;
  for (let n = 0, t = start + 600_000; t < o.end - 600_000; n++, t += Math.round(1_200_000 + 2_400_000 * random())) {
    const [type, severity, kind] = types[n % types.length] ?? types[0];
    const alert: Alert = {
      id: `al-${n + 1}`,
      dedupKey: `${type}/${n}`,
      type,
      severity,
      state: "open",
      place: { site: o.site, kind, device: `${kind}-01` },
      summary: type,
      details: {},
      evidence: [],
      count: 1,
      createdAt: t,
      lastAt: t,
    };
    const change = (event: AlertChange["event"], at: number, a: Alert): AlertChange => ({ event, at, alert: { ...a } });
    out.push(alertPoint(change("opened", t, alert)));
    if (random() < 0.85) {
      const ackAt = t + Math.round(30_000 + 600_000 * random());
      Object.assign(alert, { state: "acknowledged", acknowledgedAt: ackAt, acknowledgedBy: "staff" });
      out.push(alertPoint(change("acknowledged", ackAt, alert)));
      if (random() < 0.9) {
        const resolvedAt = ackAt + 300_000;
        Object.assign(alert, { state: "resolved", resolvedAt, resolvedBy: "staff" });
        out.push(alertPoint(change("resolved", resolvedAt, alert)));
      }
    }
  }

  // work orders: one every couple of hours, each taken through its steps; the last ones stay open
  const orderTypes: readonly OrderType[] = ["repair", "inspection", "incident", "complaint"];
  for (let n = 0, t = start + 900_000; t < o.end - 900_000; n++, t += Math.round(3_600_000 + 3_600_000 * random())) {
    const type = orderTypes[n % orderTypes.length] ?? "repair";
    const order: WorkOrder = { id: `wo-${n + 1}`, type, state: "open", place: { site: o.site, building: String(1 + (n % 6)), device: `charger-0${1 + (n % 3)}` }, description: type, evidence: [], createdBy: "system", createdAt: t, dueAt: t + 4 * 3_600_000, photos: [], signatures: [], version: 0 };
    const step = (event: OrderEvent, at: number, by: string, state: WorkOrder["state"]) => {
      Object.assign(order, { state, version: order.version + 1 });
      out.push(workOrderPoint({ order: { ...order }, record: { seq: order.version, orderId: order.id, at, by, event, data: {}, prevHash: "", hash: "" } }));
    };
    step("created", t, "system", "open");
    if (t > o.end - 4 * 3_600_000) continue;
    step("assigned", t + 120_000, "zhang", "assigned");
    order.acceptedAt = t + 300_000 + Math.round(1_800_000 * random());
    step("accepted", order.acceptedAt, "li", "accepted");
    step("started", order.acceptedAt + 60_000, "li", "in_progress");
    order.doneAt = order.acceptedAt + Math.round(1_800_000 + 10_800_000 * random());
    step("done", order.doneAt, "li", "done");
    order.signedOffAt = order.doneAt + 600_000;
    step("signed_off", order.signedOffAt, "zhang", "signed_off");
  }

  // parking: two car parks counted through the day, cars leaving in the morning and back in the
  // evening, each entry or exit one point, and a staff count every night at 02:00
  const parks = [
    { id: "B1", capacity: 400, cars: 330 },
    { id: "east", capacity: 60, cars: 45 },
  ];
  const parkingPoint = (park: (typeof parks)[number], change: "entry" | "exit" | "correction", ts: number) =>
    pointOf(parkingOccupancy, { tags: { site: o.site, car_park: park.id, change }, fields: { cars: park.cars, capacity: park.capacity, free: park.capacity - park.cars }, ts });
  for (let t = start; t <= o.end; t += 60_000) {
    const hour = new Date(t).getUTCHours();
    // China Standard Time: out from 07:00 to 10:00, back from 17:00 to 21:00
    const local = (hour + 8) % 24;
    const outRate = local >= 7 && local < 10 ? 0.6 : 0.1;
    const inRate = local >= 17 && local < 21 ? 0.6 : 0.1;
    for (const park of parks) {
      if (random() < inRate && park.cars < park.capacity) {
        park.cars++;
        out.push(parkingPoint(park, "entry", t + 1_000));
      }
      if (random() < outRate && park.cars > 0) {
        park.cars--;
        out.push(parkingPoint(park, "exit", t + 2_000));
      }
      if (local === 2 && new Date(t).getUTCMinutes() === 0) {
        park.cars = Math.max(0, park.cars - 2);
        out.push(parkingPoint(park, "correction", t + 3_000));
      }
    }
  }
  return out;
}
