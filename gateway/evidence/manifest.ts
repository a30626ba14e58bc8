import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** One file of an evidence package, as its manifest lists it. */
export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** Every file under `dir` but `manifest.json`, with its SHA-256 and size, sorted by path. */
export function manifestFiles(dir: string): ManifestFile[] {
  return listFiles(dir).map((path) => ({ path, sha256: sha256File(join(dir, path)), size: statSync(join(dir, path)).size }));
}

/** What differs between a package folder and its manifest's list: changed, missing and unlisted files, each named. */
export function checkFiles(dir: string, files: ManifestFile[]): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const file = join(dir, f.path);
    if (!existsSync(file)) problems.push(`${f.path}: missing`);
    else if (sha256File(file) !== f.sha256) problems.push(`${f.path}: SHA-256 does not match the manifest`);
  }
  const listed = new Set(files.map((f) => f.path));
  for (const path of listFiles(dir)) if (!listed.has(path)) problems.push(`${path}: not in the manifest`);
  return problems;
}

function listFiles(dir: string, under = dir): string[] {
  return readdirSync(under, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, join(under, e.name)) : [relative(dir, join(under, e.name))]))
    .filter((p) => p !== "manifest.json")
    .sort();
}
