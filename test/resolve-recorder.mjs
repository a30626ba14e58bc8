// `node --import ./test/resolve-recorder.mjs`: prints "loaded-package <name>" on stderr for every
// import that resolves into node_modules, whether the package is ESM or CommonJS. Registered before
// tsx, it runs after tsx's resolver, on what that resolver hands on.
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url);
  if (m) process.stderr.write(`loaded-package ${m[1]}\n`);
  return resolved;
}

if (isMainThread) register(import.meta.url);
