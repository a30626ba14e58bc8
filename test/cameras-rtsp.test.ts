import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiftFrame } from "../devices/lift.ts";
import type { DeviceEvent } from "../devices/types.ts";
import { camerasConfigSchema } from "../gateway/cameras/config.ts";
import type { CameraStatus } from "../gateway/cameras/events.ts";
import { camerasFeature } from "../gateway/cameras/feature.ts";
import { FeatureHost } from "../gateway/feature-host.ts";
import { RTSP_SERVER } from "../gateway/simulate/rtsp-lifts.ts";
import { liftCctv } from "./detector-fixtures.ts";
import { testCore } from "./core.ts";
import { linli } from "./services/cli.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir, type Running } from "./services/process.ts";

const run = promisify(execFile);
const hasFfmpeg = spawnSync("ffmpeg", ["-version"]).status === 0;

/** A 60 s, 640x360, 10 fps H.264 MP4 of four lift-cctv-89 frames, a second each, in `dir`. */
async function liftVideo(dir: string): Promise<string> {
  const frames = (await readdir(liftCctv.images)).filter((f) => f.endsWith(".jpg")).sort().slice(0, 4);
  const list = path.join(dir, "frames.txt");
  await writeFile(list, frames.map((f) => `file '${path.join(liftCctv.images, f)}'\nduration 1\n`).join(""));
  const out = path.join(dir, "lift.mp4");
  await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-f", "concat", "-safe", "0", "-i", list, "-t", "60", "-vf", "scale=640:-2,fps=10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10", out]);
  return out;
}

/** pids of processes whose command line holds `url` (only the ffmpeg reading it has it; the server gets no URL) */
function pidsWith(url: string): number[] {
  const r = spawnSync("pgrep", ["-f", url], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

/** `node bin/linli.js ...` in a scratch folder. */
const cli = (...args: string[]) => linli(args, { cwd: tempDir("cwd") });

const car = (door: "open" | "closed", moving: boolean) => ({ floor: 2, door, moving, direction: moving ? ("up" as const) : ("none" as const), mode: "normal" as const });

describe.skipIf(!hasFfmpeg)("cameras: a real RTSP camera (needs Debian's ffmpeg package: apt-get install ffmpeg)", () => {
  let server: Running;
  /** host, port and path */
  let base: string;
  let dir: string;
  const user = "lift-cam";
  // unique to this run, so no other process's command line holds the camera's URL
  const password = `s3cret-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    dir = tempDir("cameras");
    const video = await liftVideo(dir);
    const port = await freePort();
    server = startProcess("/usr/bin/python3", ["-c", RTSP_SERVER, String(port), video, user, password, "/lift"]);
    await waitFor(`the RTSP server: ${server.output()}`, () => server.output().includes("ready"), 15_000);
    base = `127.0.0.1:${port}/lift`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("puts the camera's frames on the bus as lift frames, at the open rate while the doors are open and the idle rate otherwise; stop leaves no ffmpeg", async () => {
    const core = await testCore("s1");
    const url = `rtsp://${user}:${password}@${base}`;
    const cfg = camerasConfigSchema.parse({ lifts: { A1: { url } }, width: 320, fps: { open: 5, idle: 1 }, staleMs: 5_000 });
    const frames: { at: number; event: DeviceEvent<LiftFrame> }[] = [];
    const statuses: CameraStatus[] = [];
    core.bus.on("device.event", (e) => void frames.push({ at: Date.now(), event: e as DeviceEvent<LiftFrame> }));
    core.bus.on("camera.status", (s) => void statuses.push(s));
    const host = await FeatureHost.start(camerasFeature, core, cfg);
    try {
      await waitFor("the first frame", () => frames.length > 0, 20_000);
      expect(statuses[0]).toMatchObject({ site: "s1", lift: "A1", state: "streaming" });
      expect(statuses[0]!.detail).toContain(`rtsp://***@${base}`);
      expect(JSON.stringify(statuses)).not.toContain(password);

      const { event } = frames[0]!;
      expect(event).toMatchObject({ site: "s1", kind: "lift", deviceId: "A1", channel: "frame", data: { format: "jpeg" } });
      expect(event.ts).toBe(event.receivedAt);
      expect(Math.abs(event.receivedAt - frames[0]!.at)).toBeLessThan(1_000);
      const meta = await sharp(event.data.image).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 320, 180]);

      /** frames put on the bus in the next `ms` */
      const countFor = async (ms: number) => {
        const before = frames.length;
        await new Promise((r) => setTimeout(r, ms));
        return frames.length - before;
      };
      // no car state yet: the idle rate, 1 fps
      const idle = await countFor(4_000);
      core.bus.emit("lift.car", { site: "s1", lift: "A1", ts: Date.now(), state: car("open", false) });
      const open = await countFor(4_000);
      // another site's lift of the same name changes nothing
      core.bus.emit("lift.car", { site: "elsewhere", lift: "A1", ts: Date.now(), state: car("closed", true) });
      const stillOpen = await countFor(2_000);
      core.bus.emit("lift.car", { site: "s1", lift: "A1", ts: Date.now(), state: car("closed", true) });
      const moving = await countFor(4_000);
      const counts = { idle, open, stillOpen, moving };
      expect(idle, JSON.stringify(counts)).toBeGreaterThanOrEqual(2);
      expect(idle, JSON.stringify(counts)).toBeLessThanOrEqual(6);
      expect(open, JSON.stringify(counts)).toBeGreaterThanOrEqual(13);
      expect(open, JSON.stringify(counts)).toBeLessThanOrEqual(26);
      expect(stillOpen, JSON.stringify(counts)).toBeGreaterThanOrEqual(6);
      expect(moving, JSON.stringify(counts)).toBeGreaterThanOrEqual(2);
      expect(moving, JSON.stringify(counts)).toBeLessThanOrEqual(6);
      for (const { event: e } of frames.slice(-5)) expect((await sharp(e.data.image).metadata()).width).toBe(320);

      const forwarded = (await core.metrics.getSingleMetric("linli_camera_frames_total")!.get()).values.find((v) => v.labels.outcome === "forwarded");
      expect(forwarded?.value).toBe(frames.length);
      expect(statuses.filter((s) => s.state !== "streaming")).toEqual([]);

      const pids = pidsWith(url);
      expect(pids).toHaveLength(1);
      await host.stop();
      // gone, not a zombie: a reaped child has no /proc entry at all
      expect(existsSync(`/proc/${pids[0]}`)).toBe(false);
      expect(pidsWith(url)).toEqual([]);
      expect(core.metrics.getSingleMetric("linli_camera_frames_total")).toBeUndefined();
      const after = frames.length;
      await new Promise((r) => setTimeout(r, 500));
      expect(frames.length).toBe(after);
    } finally {
      await host.stop();
      await core.cleanup();
    }
  });

  it("refused credentials: failed with the server's 401, the password redacted, retried with backoff", async () => {
    const core = await testCore("s1");
    const wrong = `wr0ng-${process.pid}-${Date.now()}`;
    const url = `rtsp://${user}:${wrong}@${base}`;
    const statuses: CameraStatus[] = [];
    core.bus.on("camera.status", (s) => void statuses.push(s));
    const host = await FeatureHost.start(camerasFeature, core, camerasConfigSchema.parse({ lifts: { A2: { url } }, backoff: { minMs: 100, maxMs: 1_000 } }));
    try {
      await waitFor("two refusals", () => statuses.length >= 2, 15_000);
      expect(statuses.slice(0, 2).map((s) => s.state)).toEqual(["failed", "failed"]);
      expect(statuses[0]!.detail).toContain("401 Unauthorized");
      expect(statuses[0]!.detail).toContain(`rtsp://***@${base}`);
      expect(statuses[0]!.detail).toContain("restarts in 100 ms");
      expect(statuses[1]!.detail).toContain("restarts in 200 ms");
      expect(JSON.stringify(statuses)).not.toContain(wrong);
    } finally {
      await host.stop();
      await core.cleanup();
    }
    expect(pidsWith(url)).toEqual([]);
  });

  it("`linli cameras probe` prints H.264 and the size and saves a frame; a wrong URL is a clear error and exit code 1", async () => {
    const secret = `pr0be-${process.pid}`;
    const out = path.join(dir, "probe.jpg");
    const ok = await cli("cameras", "probe", `rtsp://${user}:${password}@${base}`, "--out", out);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("video: h264 640x360 at 10 fps");
    expect(ok.stdout).toContain(`frame -> ${out}`);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 640, 360]);

    const nobody = await freePort();
    const bad = await cli("cameras", "probe", `rtsp://installer:${secret}@127.0.0.1:${nobody}/lift`, "--out", path.join(dir, "none.jpg"));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`linli cameras probe: cannot probe rtsp://***@127.0.0.1:${nobody}/lift: `);
    expect(bad.stderr).toMatch(/Connection refused/);
    expect(bad.stderr + bad.stdout).not.toContain(secret);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(existsSync(path.join(dir, "none.jpg"))).toBe(false);

    const refused = await cli("cameras", "probe", `rtsp://${user}:${secret}@${base}`, "--out", path.join(dir, "none.jpg"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot probe rtsp://***@${base}: `);
    expect(refused.stderr).toContain("401 Unauthorized");
    expect(refused.stderr).not.toContain(secret);

    const notRtsp = await cli("cameras", "probe", `http://installer:${secret}@127.0.0.1/x`);
    expect(notRtsp.code).toBe(1);
    expect(notRtsp.stderr).toContain("is not an rtsp:// or rtsps:// URL");
    expect(notRtsp.stderr).not.toContain(secret);
  });
});
