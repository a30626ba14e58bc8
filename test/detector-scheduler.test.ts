import { describe, expect, it } from "vitest";
import { LatestWinsScheduler, type DropReason } from "../gateway/detector/scheduler.ts";

/** A scheduler whose runs finish only when the test says so. */
function harness(concurrency: number, maxQueued: number, urgent?: (key: string) => boolean) {
  const started: Array<{ key: string; item: number; dropped: number; finish: () => void }> = [];
  const drops: Array<{ key: string; item: number; reason: DropReason }> = [];
  const scheduler = new LatestWinsScheduler<number>({
    concurrency,
    maxQueued,
    run: (key, item, dropped) => new Promise<void>((resolve) => started.push({ key, item, dropped, finish: resolve })),
    onDrop: (key, item, reason) => drops.push({ key, item, reason }),
    ...(urgent ? { urgent } : {}),
  });
  const tick = () => new Promise((r) => setImmediate(r));
  return { scheduler, started, drops, tick };
}

describe("latest-wins scheduler", () => {
  it("serves urgent keys (a car that could be held) before keys that waited longer", async () => {
    const urgentKeys = new Set(["open-car"]);
    const { scheduler, started, tick } = harness(1, 10, (key) => urgentKeys.has(key));
    scheduler.submit("busy", 1);
    scheduler.submit("closed-1", 2);
    scheduler.submit("closed-2", 3);
    scheduler.submit("open-car", 4);
    expect(started.map((s) => s.key)).toEqual(["busy"]);
    started[0]!.finish();
    await tick();
    // the open car jumps the queue; the others keep their order
    expect(started.map((s) => s.key)).toEqual(["busy", "open-car"]);
    started[1]!.finish();
    await tick();
    started[2]!.finish();
    await tick();
    expect(started.map((s) => s.key)).toEqual(["busy", "open-car", "closed-1", "closed-2"]);
    started[3]!.finish();
    await scheduler.idle();
  });

  it("runs the newest waiting item of a key and drops the ones it replaced as stale", async () => {
    const { scheduler, started, drops, tick } = harness(1, 10);
    for (let i = 1; i <= 5; i++) scheduler.submit("lift-1", i);
    expect(started.map((s) => s.item)).toEqual([1]);
    expect(drops).toEqual([2, 3, 4].map((item) => ({ key: "lift-1", item, reason: "stale" })));
    started[0]!.finish();
    await tick();
    expect(started.map((s) => s.item)).toEqual([1, 5]);
    // the run that follows the drops is told how many there were
    expect(started[1]!.dropped).toBe(3);
    started[1]!.finish();
    await scheduler.idle();
  });

  it("never runs two items of one key at once, but runs other keys alongside", async () => {
    const { scheduler, started, tick } = harness(2, 10);
    scheduler.submit("a", 1);
    scheduler.submit("a", 2);
    scheduler.submit("b", 1);
    expect(started.map((s) => `${s.key}${s.item}`)).toEqual(["a1", "b1"]);
    started[1]!.finish();
    await tick();
    // a slot is free, but a's next item waits for a1
    expect(started).toHaveLength(2);
    started[0]!.finish();
    await tick();
    expect(started.map((s) => `${s.key}${s.item}`)).toEqual(["a1", "b1", "a2"]);
    started[2]!.finish();
    await scheduler.idle();
  });

  it("serves waiting keys in the order they started waiting, so a busy key cannot starve a quiet one", async () => {
    const { scheduler, started, tick } = harness(1, 10);
    scheduler.submit("busy", 1); // runs
    scheduler.submit("busy", 2); // waits first
    scheduler.submit("quiet", 1); // waits second
    scheduler.submit("busy", 3); // replaces busy 2, keeps busy's place
    started[0]!.finish();
    await tick();
    started[1]!.finish();
    await tick();
    expect(started.map((s) => `${s.key}${s.item}`)).toEqual(["busy1", "busy3", "quiet1"]);
    started[2]!.finish();
    await scheduler.idle();
  });

  it("bounds the number of waiting keys: a new key over the bound is dropped as queue_full", async () => {
    const { scheduler, started, drops, tick } = harness(1, 2);
    scheduler.submit("a", 1); // runs
    scheduler.submit("b", 1);
    scheduler.submit("c", 1);
    scheduler.submit("d", 1); // over the bound
    scheduler.submit("b", 2); // a waiting key may still replace its item
    expect(scheduler.queued).toBe(2);
    expect(drops).toEqual([
      { key: "d", item: 1, reason: "queue_full" },
      { key: "b", item: 1, reason: "stale" },
    ]);
    for (let i = 0; i < 3; i++) {
      started[i]!.finish();
      await tick();
    }
    expect(started.map((s) => `${s.key}${s.item}`)).toEqual(["a1", "b2", "c1"]);
    await scheduler.idle();
  });

  it("keeps going after a run fails", async () => {
    const seen: number[] = [];
    const scheduler = new LatestWinsScheduler<number>({
      concurrency: 1,
      maxQueued: 10,
      run: async (_key, item) => {
        seen.push(item);
        if (item === 1) throw new Error("boom");
      },
      onDrop: () => undefined,
    });
    scheduler.submit("a", 1);
    scheduler.submit("b", 2);
    await scheduler.idle();
    expect(seen).toEqual([1, 2]);
  });

  it("after stop, forgets waiting items and refuses new ones", async () => {
    const { scheduler, started, tick } = harness(1, 10);
    scheduler.submit("a", 1);
    scheduler.submit("b", 1);
    const stopped = scheduler.stop();
    scheduler.submit("c", 1);
    started[0]!.finish();
    await stopped;
    await tick();
    expect(started.map((s) => s.key)).toEqual(["a"]);
  });
});
