import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { recordHash, verifyChain } from "../gateway/orders/chain.ts";
import { ordersConfigSchema } from "../gateway/orders/config.ts";
import { OrderStore } from "../gateway/orders/store.ts";
import type { OrderEvent } from "../gateway/orders/types.ts";
import { OrderWorkflow, SYSTEM, type Actor } from "../gateway/orders/workflow.ts";

const li: Actor = { user: "li", displayName: "李师傅", role: "technician" };
const zhang: Actor = { user: "zhang", displayName: "张主管", role: "supervisor" };
const INK = "iVBORw0KGgo="; // the chain does not look at the drawing

/** A store with two orders worked to signed off (two signatures each), in a temp dir. */
function signedOrders(): { file: string; ids: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "linli-chain-"));
  const file = join(dir, "orders.db");
  const store = new OrderStore(file);
  const w = new OrderWorkflow(store, ordersConfigSchema.parse({}), () => undefined);
  const ids = [1, 2].map((n) => {
    let o = w.create({ type: "repair", place: { site: "demo", device: `charger-0${n}`, port: n }, description: "冒烟", assignee: "li" }, SYSTEM);
    o = w.accept(o.id, o.version, li);
    o = w.start(o.id, o.version, li);
    o = w.done(o.id, o.version, INK, "换了继电器", li);
    return w.signOff(o.id, o.version, INK, "验收", zhang).id;
  });
  store.close();
  return { file, ids, dir };
}

/** Opens the file as someone editing it by hand: without the append-only triggers. */
function byHand(file: string): Database.Database {
  const db = new Database(file);
  db.exec("DROP TRIGGER order_records_no_update; DROP TRIGGER order_records_no_delete;");
  return db;
}

function check(file: string) {
  const store = new OrderStore(file);
  try {
    return verifyChain(store.records(), store.heads());
  } finally {
    store.close();
  }
}

describe("the work order record chain", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("is intact as written, and each signature names the content it signed", () => {
    const { file, ids, dir } = signedOrders();
    dirs.push(dir);
    expect(check(file)).toBeUndefined();
    const store = new OrderStore(file);
    const order = store.get(ids[0]!)!;
    expect(order.signatures.map((s) => [s.as, s.by])).toEqual([["worker", "li"], ["supervisor", "zhang"]]);
    // the supervisor signed a different content: the worker's signature was part of it
    expect(order.signatures[0]!.contentSha256).not.toBe(order.signatures[1]!.contentSha256);
    store.close();
  });

  it("names a record deleted from the middle", () => {
    const { file, dir } = signedOrders();
    dirs.push(dir);
    const db = byHand(file);
    db.prepare("DELETE FROM order_records WHERE seq = 4").run();
    db.close();
    expect(check(file)).toMatchObject({ seq: 4, problem: "record 4 is missing (next is 5)" });
  });

  it("names an order's last record when the tail of the chain was deleted", () => {
    const { file, ids, dir } = signedOrders();
    dirs.push(dir);
    const db = byHand(file);
    const last = (db.prepare("SELECT MAX(seq) AS n FROM order_records").get() as { n: number }).n;
    db.prepare("DELETE FROM order_records WHERE seq = ?").run(last);
    db.close();
    expect(check(file)).toMatchObject({ seq: last, orderId: ids[1] });
  });

  it("names a record whose signer was changed, even with its hash recomputed, by the next link", () => {
    const { file, dir } = signedOrders();
    dirs.push(dir);
    const db = byHand(file);
    // a forger who rewrites the record and its own hash still breaks the next record's link
    const row = db.prepare("SELECT * FROM order_records WHERE event = 'signed_off' ORDER BY seq LIMIT 1").get() as { seq: number; order_id: string; at: number; event: OrderEvent; data: string; prev_hash: string };
    const forged = { seq: row.seq, orderId: row.order_id, at: row.at, by: "wang", event: row.event, data: JSON.parse(row.data) as Record<string, unknown>, prevHash: row.prev_hash };
    db.prepare("UPDATE order_records SET by = 'wang', hash = ? WHERE seq = ?").run(recordHash(forged), row.seq);
    db.close();
    expect(check(file)).toMatchObject({ seq: row.seq + 1, problem: "does not link to the record before it" });
  });
});
