import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import { openDatabase } from "../storage/open-database.ts";

export const parkingFile = (dataDir: string) => join(dataDir, "parking", "parking.db");

export const PLATE_LISTS = ["resident", "visitor", "deny"] as const;
export type PlateList = (typeof PLATE_LISTS)[number];

/** A listed plate, kept as InfluxDB keeps plates (hashed, masked or clear by privacy.ids). */
export interface ListedPlate {
  plate: string;
  list: PlateList;
  label: string;
  /** visitors: when the pass ends (epoch ms) */
  expiresAt: number | null;
  addedBy: string;
  addedAt: number;
}

/** A car seen entering and not yet leaving. */
export interface Visit {
  carPark: string;
  plate: string;
  gate: string;
  enteredAt: number;
  /** the list it was on when it entered: "unlisted" for a car nobody registered (临时车) */
  kind: PlateList | "unlisted";
}

export interface Correction {
  carPark: string;
  cars: number;
  previous: number;
  by: string;
  note: string;
  at: number;
}

/**
 * The car parks' state across restarts: how many cars are in each, which plates are inside since
 * when, the plate lists, and every count staff entered (who, when, from what to what).
 */
export class ParkingStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#db = openDatabase(file, {
      store: "parking",
      tables: {
        counts: ["car_park", "cars", "updated_at"],
        visits: ["car_park", "plate", "gate", "entered_at", "kind"],
        plates: ["plate", "list", "label", "expires_at", "added_by", "added_at"],
        corrections: ["car_park", "cars", "previous", "by", "note", "at"],
        meta: ["key", "value"],
      },
    });
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS counts (car_park TEXT PRIMARY KEY, cars INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS visits (car_park TEXT NOT NULL, plate TEXT NOT NULL, gate TEXT NOT NULL, entered_at INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (car_park, plate));
      CREATE TABLE IF NOT EXISTS plates (plate TEXT PRIMARY KEY, list TEXT NOT NULL, label TEXT NOT NULL, expires_at INTEGER, added_by TEXT NOT NULL, added_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS corrections (car_park TEXT NOT NULL, cars INTEGER NOT NULL, previous INTEGER NOT NULL, by TEXT NOT NULL, note TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  counts(): Map<string, number> {
    const rows = this.#db.prepare("SELECT car_park AS carPark, cars FROM counts").all() as Array<{ carPark: string; cars: number }>;
    return new Map(rows.map((r) => [r.carPark, r.cars]));
  }

  setCount(carPark: string, cars: number, at: number): void {
    this.#db.prepare("INSERT INTO counts (car_park, cars, updated_at) VALUES (?, ?, ?) ON CONFLICT (car_park) DO UPDATE SET cars = excluded.cars, updated_at = excluded.updated_at").run(carPark, cars, at);
  }

  /** A car inside; a second entry of the same plate (its exit was not read) starts its stay again. */
  enter(v: Visit): void {
    this.#db
      .prepare("INSERT INTO visits (car_park, plate, gate, entered_at, kind) VALUES (?, ?, ?, ?, ?) ON CONFLICT (car_park, plate) DO UPDATE SET gate = excluded.gate, entered_at = excluded.entered_at, kind = excluded.kind")
      .run(v.carPark, v.plate, v.gate, v.enteredAt, v.kind);
  }

  leave(carPark: string, plate: string): void {
    this.#db.prepare("DELETE FROM visits WHERE car_park = ? AND plate = ?").run(carPark, plate);
  }

  visits(): Visit[] {
    return this.#db.prepare("SELECT car_park AS carPark, plate, gate, entered_at AS enteredAt, kind FROM visits ORDER BY entered_at").all() as Visit[];
  }

  plate(plate: string): ListedPlate | undefined {
    return this.#db.prepare("SELECT plate, list, label, expires_at AS expiresAt, added_by AS addedBy, added_at AS addedAt FROM plates WHERE plate = ?").get(plate) as ListedPlate | undefined;
  }

  plates(): ListedPlate[] {
    return this.#db.prepare("SELECT plate, list, label, expires_at AS expiresAt, added_by AS addedBy, added_at AS addedAt FROM plates ORDER BY list, added_at DESC").all() as ListedPlate[];
  }

  /** One list per plate: listing a visitor's car as denied moves it. */
  putPlate(p: ListedPlate): void {
    this.#db
      .prepare("INSERT INTO plates (plate, list, label, expires_at, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (plate) DO UPDATE SET list = excluded.list, label = excluded.label, expires_at = excluded.expires_at, added_by = excluded.added_by, added_at = excluded.added_at")
      .run(p.plate, p.list, p.label, p.expiresAt, p.addedBy, p.addedAt);
  }

  removePlate(plate: string): boolean {
    return this.#db.prepare("DELETE FROM plates WHERE plate = ?").run(plate).changes > 0;
  }

  addCorrection(c: Correction): void {
    this.#db.prepare("INSERT INTO corrections (car_park, cars, previous, by, note, at) VALUES (?, ?, ?, ?, ?, ?)").run(c.carPark, c.cars, c.previous, c.by, c.note, c.at);
  }

  corrections(limit: number): Correction[] {
    return this.#db.prepare("SELECT car_park AS carPark, cars, previous, by, note, at FROM corrections ORDER BY at DESC, rowid DESC LIMIT ?").all(limit) as Correction[];
  }

  meta(key: string): string | undefined {
    return (this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.#db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  close(): void {
    this.#db.close();
  }
}
