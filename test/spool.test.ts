import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { Point } from "../gateway/influx/point.ts";
import { Spool } from "../gateway/influx/spool.ts";
import { tempDir } from "./services/process.ts";

const point = (i: number): Point => ({ measurement: "gate_pass", tags: { site: "demo", gate: "g1" }, fields: { event_id: `e${i}`, count: 1 }, ts: 1_764_300_000_000 + i, ns: 0 });
const ids = (points: readonly Point[]) => points.map((p) => p.fields.event_id);

describe("the spool", () => {
  const dirs: string[] = [];
  const file = () => {
    const dir = tempDir("spool");
    dirs.push(dir);
    return join(dir, "spool.db");
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("hands out whole appends, in order, a batch at most its limit, and keeps them across a reopen", () => {
    const f = file();
    let spool = new Spool(f, { maxBytes: 1 << 30, whenFull: "dropOldest", sync: "full" });
    spool.append(Array.from({ length: 700 }, (_, i) => point(i)), 1000);
    spool.append(Array.from({ length: 2500 }, (_, i) => point(700 + i)), 1000);
    expect(spool.size.points).toBe(3200);
    spool.close();

    spool = new Spool(f, { maxBytes: 1 << 30, whenFull: "dropOldest", sync: "full" });
    expect(spool.size.points).toBe(3200);
    const seen: string[] = [];
    const sizes: number[] = [];
    for (let batch = spool.peek(1000); batch; batch = spool.peek(1000)) {
      sizes.push(batch.points.length);
      seen.push(...(ids(batch.points) as string[]));
      spool.remove(batch.upTo, batch.points.length, batch.bytes);
    }
    // rows of 700, 1000, 1000, 500: a batch never splits a row, nor passes 1000 points
    expect(sizes).toEqual([700, 1000, 1000, 500]);
    expect(seen).toEqual(Array.from({ length: 3200 }, (_, i) => `e${i}`));
    expect(spool.size).toEqual({ points: 0, bytes: 0 });
    spool.close();
  });

  it("takes over a spool an earlier version left (one point a row), ahead of new points, and leaves it empty", () => {
    const f = file();
    const old = new Database(f);
    old.exec("CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, bytes INTEGER NOT NULL, point TEXT NOT NULL)");
    const insert = old.prepare("INSERT INTO spool (bytes, point) VALUES (?, ?)");
    for (let i = 0; i < 3; i++) insert.run(Buffer.byteLength(JSON.stringify(point(i))), JSON.stringify(point(i)));
    old.close();

    const spool = new Spool(f, { maxBytes: 1 << 30, whenFull: "dropOldest", sync: "normal" });
    spool.append([point(3), point(4)]);
    expect(spool.size.points).toBe(5);
    const batch = spool.peek(1000)!;
    expect(ids(batch.points)).toEqual(["e0", "e1", "e2", "e3", "e4"]);
    spool.close();
    const after = new Database(f, { readonly: true });
    expect(after.prepare("SELECT COUNT(*) AS n FROM spool").get()).toEqual({ n: 0 });
    after.close();
  });

  it("counts the points it drops when full, not the rows", () => {
    const spool = new Spool(file(), { maxBytes: 20_000, whenFull: "dropOldest", sync: "normal" });
    let dropped = 0;
    for (let i = 0; i < 40; i++) dropped += spool.append(Array.from({ length: 10 }, (_, j) => point(i * 10 + j)), 10);
    expect(dropped % 10).toBe(0);
    expect(dropped).toBeGreaterThan(0);
    expect(spool.size.points).toBe(400 - dropped);
    expect(spool.size.bytes).toBeLessThanOrEqual(20_000);
    // what is left is the newest, in order
    const left = spool.peek(1000)!;
    expect(ids(left.points)).toEqual(Array.from({ length: 400 - dropped }, (_, i) => `e${dropped + i}`));
    spool.close();
  });
});
