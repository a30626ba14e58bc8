import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { MISSING_FFMPEG } from "./ffmpeg.ts";
import { isRtspUrl, redactCredentials, redactUrl } from "./rtsp-url.ts";

const run = promisify(execFile);

export interface ProbeResult {
  codec: string;
  width: number;
  height: number;
  /** undefined when the stream does not say */
  fps: number | undefined;
}

/** A probe that could not be done: the message is for the operator, credentials already redacted. */
export class ProbeFailed extends Error {}

/** "30000/1001" -> 29.97; "0/0" (unknown) -> undefined */
function rate(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const [num, den] = text.split("/").map(Number);
  if (!num || !den || !Number.isFinite(num / den)) return undefined;
  return Math.round((num / den) * 100) / 100;
}

/** What ffprobe or ffmpeg said last on stderr, or why it could not run. */
function why(err: unknown, url: string, timeoutMs: number): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean; signal?: string };
  if (e.code === "ENOENT") return MISSING_FFMPEG;
  if (e.killed || e.signal) return `no answer within ${timeoutMs} ms`;
  const last = (e.stderr ?? "").split("\n").map((l) => l.trim()).filter(Boolean).at(-1);
  return redactCredentials(last ?? e.message, url);
}

/**
 * The camera's video stream as ffprobe reports it (codec, size, frame rate), and one frame of it
 * saved as a JPEG at `out`: what an installer checks before putting the URL in linli.yaml.
 */
export async function probeCamera(url: string, out: string, timeoutMs: number): Promise<ProbeResult> {
  if (!isRtspUrl(url)) throw new ProbeFailed(`${redactUrl(url)} is not an rtsp:// or rtsps:// URL`);
  const shown = redactUrl(url);
  let json: string;
  try {
    const args = ["-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,avg_frame_rate,r_frame_rate", "-of", "json", url];
    ({ stdout: json } = await run("ffprobe", args, { timeout: timeoutMs, encoding: "utf8" }));
  } catch (err) {
    throw new ProbeFailed(`cannot probe ${shown}: ${why(err, url, timeoutMs)}`);
  }
  let stream: Record<string, unknown> | undefined;
  try {
    stream = (JSON.parse(json) as { streams?: Record<string, unknown>[] }).streams?.[0];
  } catch {
    throw new ProbeFailed(`ffprobe's answer for ${shown} is not JSON`);
  }
  if (!stream || typeof stream.codec_name !== "string" || typeof stream.width !== "number" || typeof stream.height !== "number") {
    throw new ProbeFailed(`${shown} has no video stream`);
  }
  try {
    const args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url, "-an", "-frames:v", "1", "-q:v", "2", "-update", "1", "-y", out];
    await run("ffmpeg", args, { timeout: timeoutMs, encoding: "utf8" });
  } catch (err) {
    throw new ProbeFailed(`cannot save a frame of ${shown}: ${why(err, url, timeoutMs)}`);
  }
  return { codec: stream.codec_name, width: stream.width, height: stream.height, fps: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate) };
}
