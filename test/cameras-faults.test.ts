import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { camerasConfigSchema } from "../gateway/cameras/config.ts";
import type { CameraStatus } from "../gateway/cameras/events.ts";
import { camerasFeature } from "../gateway/cameras/feature.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { testCore } from "./core.ts";
import { freePort, waitFor } from "./services/ports.ts";

const hasFfmpeg = spawnSync("ffmpeg", ["-version"]).status === 0;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** pids of processes whose command line holds `text` (the unique camera URL: only our ffmpeg has it) */
function pidsWith(text: string): number[] {
  const r = spawnSync("pgrep", ["-f", text], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

/** The cameras feature on a test core whose log lines are kept, with one lift camera at `url`. */
async function rig(url: string, config: Record<string, unknown>) {
  const base = await testCore("s1");
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const core = { ...base, log: pino({ level: "info" }, sink) };
  const statuses: (CameraStatus & { at: number })[] = [];
  core.bus.on("camera.status", (s) => void statuses.push({ ...s, at: Date.now() }));
  const host = await FeatureHost.start(camerasFeature, core, camerasConfigSchema.parse({ lifts: { B2: { url } }, ...config }));
  cleanups.push(() => base.cleanup(), () => host.stop());
  const faults = async (reason: string) => (await core.metrics.getSingleMetric("linli_camera_faults_total")?.get())?.values.find((v) => v.labels.reason === reason && v.labels.lift === "B2")?.value ?? 0;
  return { core, host, lines, statuses, faults };
}

describe.skipIf(!hasFfmpeg)("cameras: faults (needs Debian's ffmpeg package: apt-get install ffmpeg)", () => {
  it("a URL where nothing listens: failed, credentials redacted in the status and the logs, retried with doubling backoff", async () => {
    const port = await freePort();
    const secret = `wr0ng-${process.pid}-${Date.now()}`;
    const url = `rtsp://guard:${secret}@127.0.0.1:${port}/Streaming/Channels/102`;
    const { core, host, lines, statuses, faults } = await rig(url, { backoff: { minMs: 200, maxMs: 800 } });
    await waitFor("five failures", () => statuses.length >= 5, 20_000);
    const failed = statuses.slice(0, 5);
    expect(failed.every((s) => s.state === "failed" && s.site === "s1" && s.lift === "B2")).toBe(true);
    for (const s of failed) {
      expect(s.detail).toMatch(/^ffmpeg exited with code \d+: /);
      expect(s.detail).toContain(`rtsp://***@127.0.0.1:${port}/Streaming/Channels/102`);
      expect(s.detail).toContain("Connection refused");
    }
    const delays = failed.map((s) => Number(/restarts in (\d+) ms/.exec(s.detail)?.[1]));
    expect(delays).toEqual([200, 400, 800, 800, 800]);
    // each retry came no sooner than its announced delay
    for (let i = 1; i < failed.length; i++) expect(failed[i]!.at - failed[i - 1]!.at).toBeGreaterThanOrEqual(delays[i - 1]! - 5);
    expect(await faults("exited")).toBeGreaterThanOrEqual(5);

    const log = lines.join("");
    expect(log).toContain(`"url":"rtsp://***@127.0.0.1:${port}/Streaming/Channels/102"`);
    expect(log).toContain("lift camera failed");
    expect(log + JSON.stringify(statuses)).not.toContain(secret);
    expect(log + JSON.stringify(statuses)).not.toContain("guard:");

    await host.stop();
    expect(pidsWith(secret)).toEqual([]);
    expect(core.metrics.getSingleMetric("linli_camera_faults_total")).toBeUndefined();
    const seen = statuses.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(statuses.length).toBe(seen);
  });

  it("a camera that accepts and sends nothing: stalled after staleMs, its ffmpeg killed and started again", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const { port } = silent.address() as { port: number };
    const secret = `st4ll-${process.pid}-${Date.now()}`;
    const { host, statuses, faults } = await rig(`rtsp://guard:${secret}@127.0.0.1:${port}/live`, { staleMs: 1_000, backoff: { minMs: 300, maxMs: 300 } });
    await waitFor("a connection", () => sockets.length >= 1, 10_000);
    const [first] = pidsWith(secret);
    expect(first).toBeDefined();
    await waitFor("a stall", () => statuses.length >= 1, 10_000);
    expect(statuses[0]).toMatchObject({ state: "stalled", lift: "B2" });
    expect(statuses[0]!.detail).toBe("camera delivered no first frame for 1000 ms; ffmpeg restarts in 300 ms");
    // the stalled ffmpeg is gone (not left a zombie), and a new one connects
    await waitFor("the stalled ffmpeg to be reaped", () => !existsSync(`/proc/${first}`), 5_000);
    await waitFor("a second connection", () => sockets.length >= 2, 10_000);
    await waitFor("a second stall", () => statuses.length >= 2, 10_000);
    expect(statuses.map((s) => s.state)).toEqual(["stalled", "stalled"]);
    expect(await faults("stalled")).toBe(2);
    // stop while a third ffmpeg waits on the silent camera: it is killed and reaped too
    await waitFor("a third connection", () => sockets.length >= 3, 10_000);
    const [third] = pidsWith(secret);
    expect(third).toBeDefined();
    await host.stop();
    expect(existsSync(`/proc/${third}`)).toBe(false);
    expect(pidsWith(secret)).toEqual([]);
  });

  it("ffmpeg not installed: failed, naming the package, and retried", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    cleanups.push(async () => {
      process.env.PATH = path;
    });
    const { statuses, faults } = await rig("rtsp://127.0.0.1:9/x", { backoff: { minMs: 100, maxMs: 100 } });
    await waitFor("two failures", () => statuses.length >= 2, 5_000);
    expect(statuses[0]).toMatchObject({ state: "failed", detail: "ffmpeg is not installed (apt-get install ffmpeg); ffmpeg restarts in 100 ms" });
    expect(await faults("spawn_failed")).toBeGreaterThanOrEqual(2);
  });
});
