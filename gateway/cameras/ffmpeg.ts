import type { ChildProcess } from "node:child_process";

/** What to tell an operator when the binary is missing: both tools come in Debian's ffmpeg package. */
export const MISSING_FFMPEG = "ffmpeg is not installed (apt-get install ffmpeg)";

export interface StreamOptions {
  fps: number;
  width: number;
  jpegQuality: number;
}

/**
 * ffmpeg reading one RTSP camera over TCP (interleaved RTP gets through NAT and firewalls that lose
 * UDP) and writing JPEGs to stdout at `fps`, `width` pixels wide, the height even and in proportion.
 * No audio is decoded, and only errors are written to stderr, whose last line becomes a fault's detail.
 */
export function streamArgs(url: string, o: StreamOptions): string[] {
  return [
    ...["-hide_banner", "-nostdin", "-loglevel", "error"],
    ...["-rtsp_transport", "tcp", "-i", url],
    ...["-an", "-vf", `fps=${o.fps},scale=${o.width}:-2`],
    ...["-c:v", "mjpeg", "-q:v", String(o.jpegQuality), "-f", "image2pipe", "pipe:1"],
  ];
}

/** Keeps the end of a child's stderr, for the message of a fault. */
export class StderrTail {
  #text = "";

  add(chunk: Buffer): void {
    this.#text = (this.#text + chunk.toString("utf8")).slice(-2_000);
  }

  /** The last line written, or `fallback` when there is none. */
  lastLine(fallback: string): string {
    const lines = this.#text.split("\n").map((l) => l.trim()).filter(Boolean);
    return lines.at(-1) ?? fallback;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited and been reaped. */
export async function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  // never started (spawn failed), or already gone
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(kill);
}
