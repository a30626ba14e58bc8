import { describe, expect, it } from "vitest";
import { compactString, FifoMemory } from "../gateway/fifo-memory.ts";
import { RecentKeys } from "../gateway/ingest/dedup.ts";

describe("the bounded memories (event ids, point slots)", () => {
  it("forgets the oldest first, and a key deleted and taken again is not forgotten early", () => {
    const m = new FifoMemory<string, number>(3);
    for (const [i, k] of ["a", "b", "c"].entries()) expect(m.claim(k, i)).toBeUndefined();
    // a known key keeps its value
    expect(m.claim("b", 7)).toBe(1);
    m.delete("a");
    expect(m.claim("a", 9)).toBeUndefined();
    expect(m.claim("d", 3)).toBeUndefined();
    // "a"'s first place in the queue was skipped: "b" was the oldest and is gone; "c" and "a" are kept
    expect(m.size).toBe(3);
    expect(m.claim("a", -1)).toBe(9);
    expect(m.claim("c", -1)).toBe(2);
    expect(m.claim("e", 4)).toBeUndefined();
    // "c" was the oldest left: forgotten, so it is taken as new
    expect(m.claim("c", 5)).toBeUndefined();
    expect(m.size).toBe(3);
  });

  it("refuses a repeated event id within its window, at any size, as before", () => {
    const recent = new RecentKeys(100_000);
    for (let i = 0; i < 250_000; i++) expect(recent.seen(`gate/g1/e${i}`)).toBe(false);
    expect(recent.seen("gate/g1/e249999")).toBe(true);
    expect(recent.seen("gate/g1/e150000")).toBe(true);
    expect(recent.seen("gate/g1/e149999")).toBe(false);
    expect(new RecentKeys(0).seen("x") || new RecentKeys(0).seen("x")).toBe(false);
  });

  it("keeps a key's characters exactly when it compacts it", () => {
    for (const s of ["", "g", "gate/gate-01/gate-01-b123456", "东门 🚪", "a\ud800b", `${"x".repeat(40)}${Math.random()}`]) expect(compactString(s)).toBe(s);
  });
});
