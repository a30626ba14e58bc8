import type { DeviceEvent, PointContext } from "../../devices/types.ts";
import type { Point } from "../influx/point.ts";
import type { ParkingConfig } from "../parking/config.ts";
import type { ParkingDeniedPlate } from "../parking/events.ts";
import { occupancyPoint } from "../parking/measurements.ts";
import { CarParks } from "../parking/occupancy.ts";
import { ParkingStore } from "../parking/store.ts";

/** what each simulated gate's plate reader can count: it has 400 resident cars */
const CARS_PER_GATE = 400;

/**
 * The car parks' counts over the simulated stretch, from its plate reads, through the parking
 * feature's own counting (CarParks, on a store in memory) and point (`parking_occupancy`). The
 * configured car parks when there are any; otherwise one car park behind every simulated gate, so
 * that the gates board's parking row has a count to show.
 */
export class SimulatedCarParks {
  readonly #store = new ParkingStore(":memory:");
  readonly #parks: CarParks;

  constructor(
    private readonly site: string,
    cfg: ParkingConfig,
    gates: readonly string[],
    ids: PointContext,
    private readonly write: (p: Point) => void,
    private readonly denied: (d: ParkingDeniedPlate) => void,
  ) {
    const carParks = cfg.carParks.length > 0 ? cfg.carParks : [{ id: "sim-garage", name: "模拟车库", capacity: CARS_PER_GATE * Math.max(1, gates.length), gates: Object.fromEntries(gates.map((g) => [g, "both" as const])) }];
    this.#parks = new CarParks(site, { ...cfg, carParks }, this.#store, ids);
  }

  deviceEvent(ev: DeviceEvent): void {
    if (!this.#parks.isPlatePass(ev)) return;
    const { count, denied } = this.#parks.pass(ev);
    if (denied) this.denied(denied);
    if (count) this.write(occupancyPoint(this.site, count.carPark, count.cars, count.change, ev.ts));
  }

  close(): void {
    this.#store.close();
  }
}
