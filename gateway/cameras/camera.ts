import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "pino";
import { lift as liftKind, type LiftFrame } from "../../devices/lift.ts";
import type { DeviceEvent } from "../../devices/types.ts";
import type { Bus } from "../events.ts";
import type { CamerasConfig } from "./config.ts";
import type { CameraStatus } from "./events.ts";
import { MISSING_FFMPEG, StderrTail, stopChild, streamArgs } from "./ffmpeg.ts";
import { JpegSplitter } from "./jpeg-splitter.ts";
import type { CameraMetrics } from "./metrics.ts";
import { RateGate } from "./rate-gate.ts";
import { redactCredentials, redactUrl } from "./rtsp-url.ts";

/** A frame bigger than this is not a camera's JPEG at detector size: dropped, never buffered further. */
const MAX_FRAME_BYTES = 8 * 1024 * 1024;

type FaultReason = "stalled" | "exited" | "spawn_failed";

export interface CameraDeps {
  site: string;
  lift: string;
  url: string;
  config: CamerasConfig;
  bus: Bus;
  log: Logger;
  metrics: CameraMetrics;
}

/**
 * One lift's RTSP camera: an ffmpeg child reading the stream, its JPEGs put on the bus as the lift's
 * frames, as many as the car's state asks for. Whatever goes wrong (no frame for `staleMs`, ffmpeg
 * exiting because the URL or the credentials are wrong, ffmpeg missing) ends in the same place: the
 * fault is counted, logged and announced, and ffmpeg is started again after a backoff that doubles
 * with each fault in a row and starts over with the next frame.
 */
export class RtspCamera {
  readonly #gate: RateGate;
  readonly #redacted: string;
  #child: ChildProcess | undefined;
  /** every child not yet reaped, a killed one included, so stop() can wait for all of them */
  readonly #alive = new Set<ChildProcess>();
  #restart: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #lastFrameAt = 0;
  #streaming = false;
  #faultsInRow = 0;
  #stopped = false;

  constructor(private readonly d: CameraDeps) {
    this.#gate = new RateGate(d.config.fps);
    this.#redacted = redactUrl(d.url);
  }

  start(): void {
    this.#spawn();
    // a stall is seen within a quarter of staleMs, and within a second at most
    this.#watchdog = setInterval(() => this.#checkStale(), Math.min(1_000, this.d.config.staleMs / 4));
    this.#watchdog.unref();
  }

  /** The car's doors or motion changed: the frame rate follows. */
  setFullRate(full: boolean): void {
    this.#gate.setFull(full);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restart);
    clearInterval(this.#watchdog);
    this.#child = undefined;
    await Promise.all([...this.#alive].map((c) => stopChild(c)));
  }

  #spawn(): void {
    if (this.#stopped) return;
    const { config } = this.d;
    const child = spawn("ffmpeg", streamArgs(this.d.url, { fps: config.fps.open, width: config.width, jpegQuality: config.jpegQuality }), { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    this.#streaming = false;
    // the stale clock runs from the start: a stream that never delivers is as stalled as one that stopped
    this.#lastFrameAt = Date.now();
    const stderr = new StderrTail();
    const splitter = new JpegSplitter(
      MAX_FRAME_BYTES,
      (jpeg) => {
        if (this.#child === child) this.#onFrame(jpeg);
      },
      () => this.d.metrics.frames.inc({ lift: this.d.lift, outcome: "unreadable" }),
    );
    child.stdout?.on("data", (chunk: Buffer) => splitter.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.add(chunk));
    if (child.pid !== undefined) this.#alive.add(child);
    child.once("error", (err: NodeJS.ErrnoException) => {
      this.#alive.delete(child);
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#fault("spawn_failed", "failed", err.code === "ENOENT" ? MISSING_FFMPEG : `ffmpeg did not start: ${err.message}`);
    });
    child.once("exit", (code, signal) => {
      this.#alive.delete(child);
      if (this.#child !== child) return;
      this.#child = undefined;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.#fault("exited", "failed", `ffmpeg ${how}: ${stderr.lastLine("no message")}`);
    });
  }

  #onFrame(jpeg: Buffer): void {
    const now = Date.now();
    this.#lastFrameAt = now;
    if (!this.#streaming) {
      this.#streaming = true;
      this.#faultsInRow = 0;
      const detail = `ffmpeg reads ${this.#redacted} at ${this.d.config.width} px wide, up to ${this.d.config.fps.open} fps`;
      this.d.log.info({ lift: this.d.lift, url: this.#redacted }, "lift camera streaming");
      this.#announce("streaming", detail);
    }
    if (!this.#gate.pass(now)) {
      this.d.metrics.frames.inc({ lift: this.d.lift, outcome: "skipped" });
      return;
    }
    this.d.metrics.frames.inc({ lift: this.d.lift, outcome: "forwarded" });
    // the same event an MQTT lift camera's frame becomes, so the detector cannot tell the two apart
    const event: DeviceEvent<LiftFrame> = { site: this.d.site, kind: liftKind.kind, deviceId: this.d.lift, channel: "frame", ts: now, receivedAt: now, data: { image: jpeg, format: "jpeg" } };
    this.d.bus.emit("device.event", event);
  }

  #checkStale(): void {
    const child = this.#child;
    if (!child || Date.now() - this.#lastFrameAt <= this.d.config.staleMs) return;
    this.#child = undefined;
    // reaped in the background; stop() still waits for it through #alive
    void stopChild(child);
    const what = this.#streaming ? "sent no frame" : "delivered no first frame";
    this.#fault("stalled", "stalled", `camera ${what} for ${this.d.config.staleMs} ms`);
  }

  #fault(reason: FaultReason, state: CameraStatus["state"], detail: string): void {
    if (this.#stopped) return;
    const { minMs, maxMs } = this.d.config.backoff;
    const delay = Math.min(maxMs, minMs * 2 ** this.#faultsInRow);
    this.#faultsInRow++;
    this.#streaming = false;
    this.d.metrics.faults.inc({ lift: this.d.lift, reason });
    const text = redactCredentials(`${detail}; ffmpeg restarts in ${delay} ms`, this.d.url);
    this.d.log.warn({ lift: this.d.lift, url: this.#redacted, reason, retryInMs: delay }, `lift camera ${state}: ${text}`);
    this.#announce(state, text);
    this.#restart = setTimeout(() => this.#spawn(), delay);
  }

  #announce(state: CameraStatus["state"], detail: string): void {
    this.d.bus.emit("camera.status", { site: this.d.site, lift: this.d.lift, ts: Date.now(), state, detail });
  }
}
