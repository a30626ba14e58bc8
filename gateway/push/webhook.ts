import type { FieldSource, WebhookConfig } from "./webhook-config.ts";

/**
 * A generic JSON webhook's mapping (push.webhooks.<name>, checked by webhook-config.ts): the posted
 * JSON -> the kind, channel and canonical payload of one device message.
 */
export class MalformedWebhook extends Error {}

export interface WebhookMessage {
  kind: string;
  channel: string;
  payload: Record<string, unknown>;
}

type Step = string | number;

/** `$.a.b[0]` -> ["a", "b", 0]; the config schema has checked the syntax. */
function steps(path: string): Step[] {
  return [...path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
}

function read(root: unknown, path: readonly Step[]): unknown {
  let v = root;
  for (const s of path) {
    if (typeof s === "number" ? !Array.isArray(v) : !v || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

/** Epoch ms from epoch ms, epoch seconds (under 10^11) or ISO 8601 text. */
function epochMs(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : undefined;
  if (n !== undefined) return Math.round(n < 1e11 ? n * 1000 : n);
  const t = typeof v === "string" ? Date.parse(v) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
}

type Compiled = (root: unknown) => unknown;

function compile(source: FieldSource): Compiled {
  if (typeof source === "string") {
    const path = steps(source);
    return (root) => read(root, path);
  }
  if ("const" in source) return () => source.const;
  const path = steps(source.path);
  return (root) => {
    let v = read(root, path);
    if (source.map && (typeof v === "string" || typeof v === "number" || typeof v === "boolean") && String(v) in source.map) v = source.map[String(v)];
    if (source.scale !== undefined && typeof v === "number") v = v * source.scale;
    return v;
  };
}

/** A literal name, or the string at a JSON path. */
function nameOf(spec: string, what: string): (root: unknown) => string {
  if (!spec.startsWith("$")) return () => spec;
  const path = steps(spec);
  return (root) => {
    const v = read(root, path);
    if (typeof v !== "string" || v === "") throw new MalformedWebhook(`${what} at ${spec} is not a string`);
    return v;
  };
}

export class WebhookMapping {
  readonly #kind: (root: unknown) => string;
  readonly #channel: (root: unknown) => string;
  readonly #fields: ReadonlyArray<[string, Compiled]>;

  constructor(readonly config: WebhookConfig) {
    this.#kind = nameOf(config.kind, "kind");
    this.#channel = nameOf(config.channel, "channel");
    const fields: Array<[string, Compiled]> = Object.entries(config.fields).map(([k, s]) => [k, compile(s)]);
    if (config.deviceId) fields.push(["deviceId", compile(config.deviceId)]);
    if (config.eventId) fields.push(["eventId", compile(config.eventId)]);
    if (config.ts) {
      const ts = compile(config.ts);
      fields.push(["ts", (root) => { const v = ts(root); return v === undefined ? undefined : (epochMs(v) ?? v); }]);
    }
    this.#fields = fields;
  }

  /** The message in a posted body; throws MalformedWebhook when it is not JSON or names no kind. */
  map(body: Buffer): WebhookMessage {
    let root: unknown;
    try {
      root = JSON.parse(body.toString("utf8"));
    } catch (err) {
      throw new MalformedWebhook(`JSON: ${(err as Error).message}`);
    }
    const payload: Record<string, unknown> = {};
    for (const [field, get] of this.#fields) {
      const v = get(root);
      if (v !== undefined) payload[field] = v;
    }
    return { kind: this.#kind(root), channel: this.#channel(root), payload };
  }
}
