import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * vitest globalSetup: every temp dir of a test run (data dirs, model copies, server dirs) is made
 * under one fresh directory, removed when the run ends, so runs leave nothing behind in /tmp.
 * Test workers and the servers they start inherit TMPDIR from here.
 */
export default function scratch(): () => void {
  const root = mkdtempSync(join(tmpdir(), "linli-test-run-"));
  // Servers that drop root (mosquitto runs as its own user) must still reach their files below it.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
