import type { DeviceEvent, PointContext } from "../../devices/types.ts";
import type { GateEvent } from "../../devices/gate.ts";
import type { CarPark, ParkingConfig } from "./config.ts";
import type { ParkingDeniedPlate } from "./events.ts";
import type { ListedPlate, ParkingStore, PlateList, Visit } from "./store.ts";

const HOUR = 3_600_000;

export type PlatePass = DeviceEvent<Extract<GateEvent, { method: "plate" }>>;

/** What one plate read changed: the car park's new count, and a denied plate to alert on. */
export interface PassOutcome {
  count?: { carPark: CarPark; cars: number; change: "entry" | "exit" };
  denied?: ParkingDeniedPlate;
}

export interface CarParkView {
  id: string;
  name: string;
  capacity: number;
  cars: number;
  free: number;
}

export interface StayView extends Visit {
  carParkName: string;
  label: string;
  /** when the stay became too long: the visitor's pass expiry or the max stay */
  dueAt: number;
}

/**
 * The car parks' counts and who is inside, from plate reads at their gates: a granted entry adds a
 * car, an exit removes one. Plates are protected with the same PointContext rule as the gate_pass
 * points, so a listed plate, a stay and InfluxDB's `subject` all name a car the same way.
 */
export class CarParks {
  readonly #lanes = new Map<string, { park: CarPark; lane: "in" | "out" | "both" }>();
  readonly #counts: Map<string, number>;

  constructor(
    private readonly site: string,
    private readonly cfg: ParkingConfig,
    private readonly store: ParkingStore,
    private readonly ids: PointContext,
  ) {
    for (const park of cfg.carParks) for (const [gate, lane] of Object.entries(park.gates)) this.#lanes.set(gate, { park, lane });
    this.#counts = store.counts();
  }

  /** Whether an event is a plate read at one of the car parks' gates. */
  isPlatePass(ev: DeviceEvent): ev is PlatePass {
    return ev.kind === "gate" && ev.channel === "event" && (ev.data as { method?: unknown }).method === "plate" && this.#lanes.has(ev.deviceId);
  }

  pass(ev: PlatePass): PassOutcome {
    const { park, lane } = this.#lanes.get(ev.deviceId) as { park: CarPark; lane: "in" | "out" | "both" };
    const direction = lane === "both" ? ev.data.direction : lane;
    const plate = this.ids.protectId(ev.data.plate);
    const listed = this.store.plate(plate);
    const out: PassOutcome = {};
    if (direction === "in" && listed?.list === "deny")
      out.denied = { site: this.site, carPark: park.id, gate: ev.deviceId, plate, label: listed.label, granted: ev.data.granted, eventId: ev.data.eventId, ...(ev.data.snapshot ? { snapshot: ev.data.snapshot } : {}), ts: ev.ts };
    // a refused car stayed outside the barrier: only granted passes move the count
    if (!ev.data.granted) return out;
    const before = this.cars(park.id);
    if (direction === "in") {
      this.store.enter({ carPark: park.id, plate, gate: ev.deviceId, enteredAt: ev.ts, kind: kindOf(listed, ev.ts) });
      this.#set(park.id, before + 1, ev.ts);
    } else {
      this.store.leave(park.id, plate);
      // never below zero: a car parked before counting began can still drive out
      this.#set(park.id, Math.max(0, before - 1), ev.ts);
    }
    out.count = { carPark: park, cars: this.cars(park.id), change: direction === "in" ? "entry" : "exit" };
    return out;
  }

  cars(carPark: string): number {
    return this.#counts.get(carPark) ?? 0;
  }

  carPark(id: string): CarPark | undefined {
    return this.cfg.carParks.find((p) => p.id === id);
  }

  /** Staff's count (the nightly walk-round, or a look at the barrier's own counter) replaces the running one. */
  correct(park: CarPark, cars: number, by: string, note: string, at: number): number {
    const previous = this.cars(park.id);
    this.store.addCorrection({ carPark: park.id, cars, previous, by, note, at });
    this.#set(park.id, cars, at);
    return previous;
  }

  view(): CarParkView[] {
    return this.cfg.carParks.map((p) => {
      const cars = this.cars(p.id);
      return { id: p.id, name: p.name, capacity: p.capacity, cars, free: Math.max(0, p.capacity - cars) };
    });
  }

  /** Visitor and unlisted cars inside past their pass or the max stay, longest first. */
  overstaying(now: number): StayView[] {
    return this.#stays((v, listed) => {
      if (v.kind === "resident") return undefined;
      const maxStay = v.enteredAt + this.cfg.visitorMaxStayHours * HOUR;
      const due = v.kind === "visitor" && listed?.expiresAt != null ? Math.min(listed.expiresAt, maxStay) : maxStay;
      return due <= now ? due : undefined;
    });
  }

  /** Non-resident cars seen entering and not leaving for neverLeftAfterHours. */
  neverLeft(now: number): StayView[] {
    return this.#stays((v) => {
      const due = v.enteredAt + this.cfg.neverLeftAfterHours * HOUR;
      return v.kind !== "resident" && due <= now ? due : undefined;
    });
  }

  #stays(dueOf: (v: Visit, listed: ListedPlate | undefined) => number | undefined): StayView[] {
    const out: StayView[] = [];
    for (const v of this.store.visits()) {
      const listed = this.store.plate(v.plate);
      const dueAt = dueOf(v, listed);
      if (dueAt === undefined) continue;
      out.push({ ...v, carParkName: this.carPark(v.carPark)?.name ?? v.carPark, label: listed?.label ?? "", dueAt });
    }
    return out.sort((a, b) => a.enteredAt - b.enteredAt || a.plate.localeCompare(b.plate));
  }

  #set(carPark: string, cars: number, at: number): void {
    this.#counts.set(carPark, cars);
    this.store.setCount(carPark, cars, at);
  }
}

/** The list a car was on as it entered; a visitor whose pass has ended is any unlisted car. */
function kindOf(listed: ListedPlate | undefined, at: number): PlateList | "unlisted" {
  if (!listed || listed.list === "deny") return "unlisted";
  if (listed.list === "visitor" && listed.expiresAt !== null && listed.expiresAt <= at) return "unlisted";
  return listed.list;
}
