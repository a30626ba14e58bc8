import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "../..");

/** `node bin/linli.js ...` as a user runs it, in `cwd`: its exit code and output, never a throw. */
export async function linli(args: readonly string[], options: { cwd: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, "bin/linli.js"), ...args], { cwd: options.cwd, timeout: options.timeoutMs ?? 0, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
