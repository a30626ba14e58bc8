import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { stopChild } from "../cameras/ffmpeg.ts";

const run = promisify(execFile);

/**
 * GStreamer's RTSP server (Debian: python3-gi, gir1.2-gst-rtsp-server-1.0,
 * gstreamer1.0-plugins-good), one mount per lift, each serving the same H.264 MP4 to one user with
 * Basic auth; each client gets its own pipeline from the file's start. Arguments: port, file, user,
 * password, mounts. test/cameras-rtsp.test.ts reads its real camera from it too. VLC's RTSP server
 * would do, were it not that it refuses RTP over TCP (461), which is how linli's ffmpeg reads cameras.
 */
export const RTSP_SERVER = `
import sys, gi
gi.require_version("Gst", "1.0"); gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
port, file, user, password = sys.argv[1:5]
server = GstRtspServer.RTSPServer.new()
server.set_address("127.0.0.1"); server.set_service(port)
auth = GstRtspServer.RTSPAuth()
token = GstRtspServer.RTSPToken()
token.set_string("media.factory.role", "viewer")
auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
server.set_auth(auth)
for mount in sys.argv[5:]:
    factory = GstRtspServer.RTSPMediaFactory.new()
    factory.set_launch('( filesrc location="%s" ! qtdemux ! rtph264pay name=pay0 pt=96 config-interval=1 )' % file)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    factory.set_permissions(permissions)
    server.get_mount_points().add_factory(mount, factory)
if server.attach(None) == 0: sys.exit("cannot listen on port " + port)
print("ready", flush=True)
GLib.MainLoop().run()
`;

/** Whether this machine can serve RTSP: ffmpeg to make the video, GStreamer's RTSP server to serve it. */
export function canServeRtsp(): boolean {
  const gst = spawnSync("/usr/bin/python3", ["-c", 'import gi; gi.require_version("GstRtspServer", "1.0")']);
  return spawnSync("ffmpeg", ["-version"]).status === 0 && gst.status === 0;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RtspLifts {
  /** lift id -> the camera's rtsp:// URL, login included */
  urls: Record<string, string>;
  stop(): Promise<void>;
}

/** `seconds` long, 640x360 at 2 fps (photos change every two seconds: more frames would only cost encoding time): each JPEG of `imagesDir` two seconds, in name order, over and over. */
async function liftVideo(imagesDir: string, workDir: string, seconds: number): Promise<string> {
  const frames = readdirSync(imagesDir).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (frames.length === 0) throw new Error(`no JPEGs in ${imagesDir} for the RTSP lift cameras`);
  const list = join(workDir, "rtsp-frames.txt");
  writeFileSync(list, frames.map((f) => `file '${join(imagesDir, f).replace(/'/g, "'\\''")}'\nduration 2\n`).join(""));
  const out = join(workDir, "rtsp-lift.mp4");
  await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-f", "concat", "-safe", "0", "-i", list, "-t", String(seconds), "-vf", "scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=2", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p", "-g", "4", out]);
  return out;
}

/**
 * Simulated lift cameras as the compound has them: RTSP streams (H.264) on loopback, one per lift,
 * made from the demo's photos. The video is ten minutes long; when it ends the camera's stream
 * ends, which linli sees as a camera fault and reconnects from (as it would after a camera reboot).
 */
export async function startRtspLifts(lifts: readonly string[], imagesDir: string, workDir: string): Promise<RtspLifts> {
  const video = await liftVideo(imagesDir, workDir, 600);
  const port = await freeLoopbackPort();
  const user = "lift-cam";
  const password = Math.random().toString(36).slice(2, 14);
  const server: ChildProcess = spawn("/usr/bin/python3", ["-c", RTSP_SERVER, String(port), video, user, password, ...lifts.map((l) => `/${l}`)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  server.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the RTSP server did not start: ${output}`)), 15_000);
    server.stdout?.on("data", () => {
      if (!output.includes("ready")) return;
      clearTimeout(timer);
      resolve();
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the RTSP server exited (${code}): ${output}`));
    });
  });
  return {
    urls: Object.fromEntries(lifts.map((l) => [l, `rtsp://${user}:${password}@127.0.0.1:${port}/${l}`])),
    stop: () => stopChild(server),
  };
}
