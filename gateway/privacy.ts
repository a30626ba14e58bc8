import { createHmac, randomBytes } from "node:crypto";
import type { PointContext } from "../devices/types.ts";
import type { Config } from "./config.ts";

/** Keeps the first and last characters, e.g. 沪A12345 -> 沪A***45, for a person to recognise. */
export function mask(value: string): string {
  const chars = [...value];
  if (chars.length <= 4) return "*".repeat(chars.length);
  return `${chars.slice(0, 2).join("")}${"*".repeat(chars.length - 4)}${chars.slice(-2).join("")}`;
}

/**
 * How plates and person ids reach InfluxDB. A keyed hash keeps "the same car" countable without
 * storing who it is; without a configured salt the key is random per run, so hashes cannot be
 * joined across restarts (and cannot be reversed by a dictionary of plates).
 */
export function pointContext(privacy: Config["privacy"]): PointContext {
  const key = privacy.salt ?? randomBytes(32).toString("hex");
  switch (privacy.ids) {
    case "clear":
      return { protectId: (v) => v };
    case "mask":
      return { protectId: mask };
    case "hash":
      return { protectId: (v) => `h:${createHmac("sha256", key).update(v).digest("hex").slice(0, 16)}` };
  }
}
