import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "./services/ports.ts";
import { startProcess, tempDir, type Running } from "./services/process.ts";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The code `node bin/linli.js` can load at run time: everything else (tests, benches, dashboards/build.ts) is dev-only. */
const RUNTIME_DIRS = ["bin", "gateway", "devices"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** The package a bare specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

/** Specifiers a module loads when it runs: static imports and re-exports that are not type-only, and dynamic import(). */
function runtimeSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^;"']*?\bfrom\s+)?["']([^"']+)["']/gm)) found.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1] as string);
  return found;
}

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe("a production install (npm ci --omit=dev) runs the gateway", () => {
  it("imports no package at run time that `dependencies` lacks", () => {
    const missing: string[] = [];
    for (const dir of RUNTIME_DIRS) {
      for (const file of sourceFiles(path.join(repoRoot, dir))) {
        for (const spec of runtimeSpecifiers(readFileSync(file, "utf8"))) {
          if (spec.startsWith(".") || spec.startsWith("node:") || builtinModules.includes(spec)) continue;
          const name = packageOf(spec);
          if (!(name in pkg.dependencies)) missing.push(`${path.relative(repoRoot, file)} imports ${spec}${name in pkg.devDependencies ? " (a devDependency)" : ""}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("npm ci --omit=dev && node bin/linli.js start answers /healthz", async () => {
    const dir = tempDir("packaging");
    scratch.push(dir);
    // The files a commit of this tree would hold (tracked ones plus new ones not ignored): what a
    // clone of it gets, without node_modules, data/ or anything else .gitignore keeps out.
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot, encoding: "utf8" }).split("\0").filter((f) => f !== "");
    for (const f of files) {
      const from = path.join(repoRoot, f);
      // a tracked file deleted in the working tree is not part of what would be committed
      if (!existsSync(from) || !statSync(from).isFile()) continue;
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      copyFileSync(from, path.join(dir, f));
    }
    expect(existsSync(path.join(dir, "package-lock.json"))).toBe(true);
    await run("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`npm ci --omit=dev failed: ${err.message}\n${err.stderr ?? ""}`);
    });
    // a dev dependency must really be absent, or the start below would prove nothing
    expect(existsSync(path.join(dir, "node_modules", "vitest"))).toBe(false);

    const brokerPort = await freePort();
    const httpPort = await freePort();
    // nothing listens here: the gateway spools, as it does on a site whose InfluxDB is not up yet
    const closedPort = await freePort();
    const dataDir = path.join(dir, "data");
    const config = path.join(dir, "linli.yaml");
    writeFileSync(
      config,
      [
        `dataDir: ${dataDir}`,
        "logLevel: info",
        `broker: { mode: embedded, host: 127.0.0.1, port: ${brokerPort} }`,
        `http: { enabled: true, host: 127.0.0.1, port: ${httpPort} }`,
        `influx: { url: "http://127.0.0.1:${closedPort}" }`,
        // no model to download and no lift controller to dial on a test machine
        "detector: { enabled: false }",
        "lift: { enabled: false }",
      ].join("\n"),
    );
    const gw: Running = startProcess(process.execPath, [path.join(dir, "bin/linli.js"), "start", "--config", config]);
    try {
      const healthz = async () => {
        if (gw.child.exitCode !== null) throw new Error(`linli start exited with ${gw.child.exitCode}`);
        const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
        return res.status === 200 && ((await res.json()) as { status: string }).status === "ok";
      };
      await waitFor("/healthz 200 from the production install", healthz, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${gw.output()}`);
      });
      expect(gw.output()).toContain("linli gateway started");
    } finally {
      await gw.stop("SIGTERM");
    }
    // a clean stop on SIGTERM, as systemd stops it
    expect(gw.child.exitCode).toBe(0);
  }, 420_000);
});
