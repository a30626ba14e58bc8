import { createHash } from "node:crypto";

/**
 * Reading vendor alerts parsed from XML or JSON: XML gives every value as a string and repeats an
 * element as an array, JSON gives numbers and objects; these helpers read both alike.
 */

/** The value at a dotted path; an array on the way (a repeated XML element) is read at its first item. */
export function at(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split(".")) {
    if (Array.isArray(v)) v = v[0];
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return Array.isArray(v) ? v[0] : v;
}

/** A non-empty trimmed string (numbers as their text), else undefined. */
export const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : undefined);

/** A finite number from a number or its text, else undefined. */
export function num(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : Number(str(v) ?? Number.NaN);
  return Number.isFinite(n) ? n : undefined;
}

/** Epoch ms of an ISO 8601 time (a time without offset is read as the gateway's local time). */
export function isoTime(v: unknown): number | undefined {
  const t = Date.parse(str(v) ?? "");
  return Number.isFinite(t) ? t : undefined;
}

const EVENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * An event id the canonical schemas take (64 letters, digits, `. _ : -`): `preferred` when it is
 * one, else `<deviceId>-` and a digest of what identifies the event (a plate in Chinese or an ISO
 * time with `+` is not an id, but the same alert sent again must give the same id).
 */
export function eventIdOf(deviceId: string, preferred: string | undefined, parts: readonly (string | undefined)[]): string {
  if (preferred !== undefined && EVENT_ID.test(preferred)) return preferred;
  const digest = createHash("sha256").update(parts.map((p) => p ?? "").join("\0")).digest("hex").slice(0, 20);
  return `${deviceId.slice(0, 43)}-${digest}`;
}
