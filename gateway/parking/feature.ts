import { randomBytes } from "node:crypto";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { pointContext } from "../privacy.ts";
import { parkingConfigSchema, type ParkingConfig } from "./config.ts";
import { occupancyPoint, parkingMeasurements } from "./measurements.ts";
import { CarParks } from "./occupancy.ts";
import { addParkingRoutes } from "./routes.ts";
import { parkingFile, ParkingStore } from "./store.ts";

/** Stored with the lists: the protected form of this string tells whether they were protected with today's key. */
const KEY_PROBE = "linli-parking-key-probe";

/**
 * Car parking occupancy (机动车智能停车): cars in each car park from the plate reads at its gates,
 * corrected by staff counts; overstaying visitors and cars never seen leaving; plate lists kept
 * as InfluxDB keeps plates, with a deny list that raises `parking.denied_plate` on entry.
 */
export class ParkingFeature implements Feature {
  readonly name = "parking";
  #store: ParkingStore | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: ParkingConfig,
  ) {}

  async start(): Promise<void> {
    const { core, cfg } = this;
    const { site, privacy } = core.config;
    const store = (this.#store = new ParkingStore(parkingFile(core.dataDir)));
    // the ingest pipeline's rule; with privacy.salt the same hashes as gate_pass.subject. Without
    // one, InfluxDB's key changes every run by design, but a deny list must match after a restart:
    // the lists get a key of their own, kept in their database
    const ids = pointContext({ ...privacy, salt: privacy.salt ?? this.#listKey(store) });
    this.#checkKey(store, ids.protectId(KEY_PROBE));
    const parks = new CarParks(site, cfg, store, ids);
    const written = (carPark: string, cars: number, change: "entry" | "exit" | "correction", ts: number) => {
      const park = parks.carPark(carPark);
      if (!park) return;
      core.writePoint(occupancyPoint(site, park, cars, change, ts));
    };
    core.bus.on("device.event", (ev) => {
      if (!parks.isPlatePass(ev)) return;
      const { count, denied } = parks.pass(ev);
      if (denied) core.bus.emit("parking.denied_plate", denied);
      if (count) written(count.carPark.id, count.cars, count.change, ev.ts);
    });
    addParkingRoutes(core, cfg, parks, store, ids, (carPark, cars, at) => written(carPark, cars, "correction", at));
    core.log.info({ carParks: cfg.carParks.length, plates: store.plates().length, inside: store.visits().length }, "parking started");
  }

  async stop(): Promise<void> {
    this.#store?.close();
    this.#store = undefined;
  }

  #listKey(store: ParkingStore): string {
    const kept = store.meta("list_key");
    if (kept !== undefined) return kept;
    const key = randomBytes(32).toString("hex");
    store.setMeta("list_key", key);
    return key;
  }

  /** Hashed lists from a run with another key (no privacy.salt, or a changed one) can no longer match a plate: say so. */
  #checkKey(store: ParkingStore, probe: string): void {
    const before = store.meta("key_probe");
    if (before !== undefined && before !== probe && store.plates().length > 0)
      this.core.log.warn({ plates: store.plates().length }, "parking: the plate lists were kept with another privacy key (privacy.salt unset or changed): listed plates no longer match; set privacy.salt and list them again");
    store.setMeta("key_probe", probe);
  }
}

export const parkingFeature = defineFeature({
  key: "parking",
  description: "car parking occupancy from gate plate reads, plate lists, the parking page (/parking) (gateway/parking)",
  config: parkingConfigSchema,
  measurements: parkingMeasurements,
  create: (core, config) => new ParkingFeature(core, config),
});
