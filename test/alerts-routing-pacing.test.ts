import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PacedChannel, type Outgoing } from "../gateway/channels/pacing.ts";
import type { AlertChange } from "../gateway/alerts/types.ts";

function change(n: number): AlertChange {
  const now = Date.now();
  return {
    event: "opened",
    at: now,
    alert: { id: `al-${n}`, dedupKey: `k${n}`, type: "charger_over_temp", severity: "critical", state: "open", place: { site: "demo", kind: "charger", device: `charger-0${n % 3}`, port: n % 10 }, summary: "", details: {}, evidence: [], count: 1, createdAt: now, lastAt: now },
  };
}

/**
 * The channel's minute-long budget over several minutes of traffic. Fake timers here, because the
 * point is what happens over minutes: the robot-format burst over real HTTP is in
 * alerts-routing.test.ts, in real time.
 */
describe("a paced channel over several minutes (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse("2026-12-03T10:00:00+08:00") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never sends more than perMinute in any 60 s, and every change is sent alone or in a digest, in order", async () => {
    const abort = new AbortController();
    const requests: Array<{ at: number; out: Outgoing<AlertChange> }> = [];
    const channel = new PacedChannel<AlertChange>("security", "wecom", { perMinute: 20, digestEveryMs: 10_000, signal: abort.signal }, async (out, slot) => {
      await slot();
      requests.push({ at: Date.now(), out });
    });
    const start = Date.now();
    // 600 alarms over three minutes, 10 every 3 s, then quiet
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 10; j++) channel.push(change(i * 10 + j));
      await vi.advanceTimersByTimeAsync(3_000);
    }
    await vi.advanceTimersByTimeAsync(120_000);
    await channel.idle();

    for (const r of requests) expect(requests.filter((x) => x.at > r.at - 60_000 && x.at <= r.at).length).toBeLessThanOrEqual(20);
    const ids = requests.flatMap((r) => ("alone" in r.out ? [r.out.alone] : r.out.digest).map((c) => c.alert.id));
    expect(ids).toEqual(Array.from({ length: 600 }, (_, n) => `al-${n}`));
    const health = channel.health();
    expect(health.sent + health.digested).toBe(600);
    expect(health.queued).toBe(0);
    // the first ten of the burst went alone at once; after that, digests
    expect(requests.slice(0, 10).every((r) => "alone" in r.out && r.at === start)).toBe(true);
    expect(requests.some((r) => "digest" in r.out && r.out.digest.length > 1)).toBe(true);
    abort.abort();
  });

  it("counts a message that fails for good as failed for each change in it, keeps the last error, and recovers", async () => {
    const abort = new AbortController();
    let fail = true;
    const channel = new PacedChannel<AlertChange>("liftco", "json", { perMinute: 2, digestEveryMs: 1_000, signal: abort.signal }, async (_out, slot) => {
      await slot();
      if (fail) throw new Error("HTTP 503: busy");
    });
    for (let n = 0; n < 5; n++) channel.push(change(n));
    await vi.advanceTimersByTimeAsync(5_000);
    await channel.idle();
    expect(channel.health()).toMatchObject({ sent: 0, digested: 0, queued: 0, failed: 5, failing: true, lastError: "Error: HTTP 503: busy" });
    fail = false;
    await vi.advanceTimersByTimeAsync(60_000);
    channel.push(change(9));
    await vi.advanceTimersByTimeAsync(1_000);
    await channel.idle();
    expect(channel.health()).toMatchObject({ sent: 1, failed: 5, failing: false });
    abort.abort();
  });
});
