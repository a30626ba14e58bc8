import { ConfigError } from "./config-error.ts";

/** Keys that moved to a new place; a file written for the old place keeps working, with a notice. */
const MOVED: ReadonlyArray<{ from: readonly string[]; to: readonly string[] }> = [
  // one evidence store for every feature, so one retention
  { from: ["lift", "evidenceRetentionDays"], to: ["evidence", "retentionDays"] },
  { from: ["alerts", "evidence", "retentionDays"], to: ["evidence", "retentionDays"] },
];

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => v !== null && typeof v === "object" && !Array.isArray(v);

function parentOf(tree: Tree, path: readonly string[]): unknown {
  return path.slice(0, -1).reduce<unknown>((node, key) => (isTree(node) ? node[key] : undefined), tree);
}

function has(tree: Tree, path: readonly string[]): boolean {
  const parent = parentOf(tree, path);
  return isTree(parent) && Object.hasOwn(parent, path[path.length - 1] as string);
}

function take(tree: Tree, path: readonly string[]): { found: boolean; value?: unknown } {
  if (!has(tree, path)) return { found: false };
  const parent = parentOf(tree, path) as Tree;
  const last = path[path.length - 1] as string;
  const value = parent[last];
  delete parent[last];
  return { found: true, value };
}

/** Sets a nested key, making the mappings on the way; returns what was there before. */
export function setPath(tree: Tree, path: readonly string[], value: unknown): unknown {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  const last = path[path.length - 1] as string;
  const before = node[last];
  node[last] = value;
  return before;
}

/**
 * Moves old keys to where they live now (on a copy). Two old keys that set one new key to
 * different values are an error: which one the site meant cannot be guessed.
 */
export function migrateConfig(raw: Tree): { config: Tree; notices: string[] } {
  const config = structuredClone(raw);
  const notices: string[] = [];
  const setBy = new Map<string, string>();
  for (const { from, to } of MOVED) {
    const old = take(config, from);
    if (!old.found) continue;
    const fromKey = from.join(".");
    const toKey = to.join(".");
    const previous = setBy.get(toKey) ?? (has(raw, to) ? toKey : undefined);
    const before = setPath(config, to, old.value);
    if (previous !== undefined && before !== old.value) {
      const by = previous === toKey ? "the file" : previous;
      throw new ConfigError(`invalid config:\n  ${fromKey}: moved to ${toKey}, which ${by} already sets to ${String(before)}; keep only ${toKey}`);
    }
    setBy.set(toKey, fromKey);
    notices.push(`config key ${fromKey} has moved to ${toKey}; please update the file`);
  }
  return { config, notices };
}
