import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { ProbeFailed, probeCamera } from "./probe.ts";

const milliseconds = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError("whole milliseconds, at least 100");
  return n;
};

/** `linli cameras probe <url>`: is this the camera, and what does it send? */
export function registerCameraCommands(program: Command): void {
  program
    .command("cameras")
    .description("RTSP lift cameras (gateway/cameras)")
    .command("probe")
    .description("print an RTSP camera's codec, size and frame rate, and save one frame as a JPEG")
    .argument("<url>", "rtsp://user:pass@host:554/path (quote it in the shell)")
    .option("--out <file>", "where the frame is saved", "frame.jpg")
    .option("--timeout-ms <ms>", "give up on a camera that does not answer", milliseconds, 15_000)
    .action(async (url: string, opts: { out: string; timeoutMs: number }) => {
      const out = path.resolve(opts.out);
      try {
        const v = await probeCamera(url, out, opts.timeoutMs);
        console.log(`video: ${v.codec} ${v.width}x${v.height} at ${v.fps === undefined ? "an unknown rate" : `${v.fps} fps`}`);
        console.log(`frame -> ${out}`);
      } catch (err) {
        if (!(err instanceof ProbeFailed)) throw err;
        console.error(`linli cameras probe: ${err.message}`);
        process.exitCode = 1;
      }
    });
}
