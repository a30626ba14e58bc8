import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "./config-error.ts";
import type { FeatureConfigSchema } from "./feature.ts";
import { features } from "./features.ts";
import { migrateConfig, setPath } from "./config-migrate.ts";
import { pushConfigSchema } from "./push/config.ts";
import { securityConfigSchema } from "./security/config.ts";

export { ConfigError };

const port = z.number().int().min(0).max(65_535);

const brokerSchema = z
  .strictObject({
    mode: z.enum(["embedded", "external"]).default("embedded"),
    /** embedded: where the TCP listener binds */
    host: z.string().default("127.0.0.1"),
    port: port.default(1883),
    /** external: the broker to connect to (mqtt:// or mqtts://) */
    url: z.string().regex(/^mqtts?:\/\//, "must start with mqtt:// or mqtts://").optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** external: stable across restarts, so the broker resumes the gateway's session */
    clientId: z.string().default("linli-gateway"),
    /**
     * external: how long the broker keeps the gateway's session and queues its QoS 1 messages
     * while the gateway is away (the broker's own cap applies too); 0 for a clean session
     */
    sessionExpirySec: z.number().int().min(0).max(4_294_967_295).default(86_400),
    /**
     * external: an MQTT 5 shared-subscription group ($share/<group>/...), so that several gateways
     * behind one broker cluster split a district's traffic instead of each taking all of it
     */
    shareGroup: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  })
  .refine((b) => b.mode === "embedded" || b.url !== undefined, { message: "broker.url is required when broker.mode is external", path: ["url"] });

const influxSchema = z.strictObject({
  enabled: z.boolean().default(true),
  version: z.union([z.literal(1), z.literal(2)]).default(1),
  url: z.string().url().default("http://127.0.0.1:8086"),
  /** 1.x */
  database: z.string().default("linli"),
  username: z.string().optional(),
  password: z.string().optional(),
  /** 2.x */
  org: z.string().default("linli"),
  bucket: z.string().default("linli"),
  token: z.string().optional(),
  batchSize: z.number().int().min(1).max(50_000).default(1_000),
  flushIntervalMs: z.number().int().min(10).max(60_000).default(1_000),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  retry: z
    .strictObject({
      minDelayMs: z.number().int().min(10).default(500),
      maxDelayMs: z.number().int().min(10).default(30_000),
    })
    .prefault({}),
  spool: z
    .strictObject({
      /** the spool's bound on disk; past it, `whenFull` applies */
      maxBytes: z.number().int().min(1_024).default(512 * 1024 * 1024),
      /**
       * dropOldest: the oldest spooled points are dropped (counted) and devices are always
       * acknowledged; refuseNew: nothing spooled is dropped, QoS 1 messages go unacknowledged
       * (devices keep and resend them) until InfluxDB takes the backlog
       */
      whenFull: z.enum(["dropOldest", "refuseNew"]).default("dropOldest"),
      /** full: an acknowledged message survives a power cut; normal: only a crash of the process (faster) */
      sync: z.enum(["full", "normal"]).default("full"),
    })
    .prefault({}),
});

const httpSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default("127.0.0.1"),
  port: port.default(8080),
});

const ingestSchema = z.strictObject({
  /** a device time further than this from the gateway's clock is replaced by the receive time */
  maxClockSkewMs: z.number().int().min(0).default(300_000),
  /** how many event ids per kind are remembered to refuse duplicates */
  dedupWindow: z.number().int().min(0).default(100_000),
  /** per-channel size caps, e.g. { "lift/frame": 2097152 }, overriding the kind's default */
  maxBytes: z.record(z.string().regex(/^[a-z_]+\/[a-z_]+$/, "<kind>/<channel>"), z.number().int().min(1)).default({}),
});

const privacySchema = z.strictObject({
  /** how plates and person ids are stored: a keyed hash (default), masked, or in clear */
  ids: z.enum(["hash", "mask", "clear"]).default("hash"),
  /** key of the hash; set it (env LINLI_PRIVACY_SALT) so hashes are stable across restarts */
  salt: z.string().optional(),
});

const evidenceSchema = z.strictObject({
  /** snapshots and frames older than this are deleted, whichever feature kept them (personal data) */
  retentionDays: z.number().positive().default(30),
});

type Features = (typeof features)[number];
type FeatureSections = { [F in Features as F["key"]]: z.ZodPrefault<F["config"]> };

/** Each feature's section, `{}` being valid for every one of them. */
const featureSections = Object.fromEntries(features.map((f) => [f.key, (f.config as FeatureConfigSchema).prefault({})])) as unknown as FeatureSections;

export const configSchema = z.strictObject({
  site: z.string().regex(/^[a-z0-9_-]+$/, "lower-case letters, digits, _ and - only").default("demo"),
  dataDir: z.string().default("data"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** auto: readable lines on a terminal, JSON lines when piped (to journald, a file, a log shipper) */
  logFormat: z.enum(["auto", "json", "pretty"]).default("auto"),
  broker: brokerSchema.prefault({}),
  influx: influxSchema.prefault({}),
  http: httpSchema.prefault({}),
  ingest: ingestSchema.prefault({}),
  privacy: privacySchema.prefault({}),
  /** embedded broker: device registry, TLS listener, limits, command envelopes (gateway/security) */
  security: securityConfigSchema.prefault({}),
  /** the evidence store every feature keeps snapshots and frames in (gateway/evidence) */
  evidence: evidenceSchema.prefault({}),
  /** HTTP push ingest of vendors' devices, e.g. Hikvision ANPR (gateway/push) */
  push: pushConfigSchema.prefault({}),
  ...featureSections,
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Secrets may come from the environment instead of the file. */
const ENV_OVERRIDES: ReadonlyArray<[string, readonly string[]]> = [
  ["LINLI_BROKER_PASSWORD", ["broker", "password"]],
  ["LINLI_INFLUX_PASSWORD", ["influx", "password"]],
  ["LINLI_INFLUX_TOKEN", ["influx", "token"]],
  ["LINLI_PRIVACY_SALT", ["privacy", "salt"]],
];

/** `${env:NAME}` and `${file:/path}` in any string value, so a YAML file need not hold secrets. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{(env|file):([^}]+)\}/g, (_, source: string, ref: string) => {
      if (source === "env") {
        const v = env[ref];
        if (v === undefined) throw new ConfigError(`environment variable ${ref} is not set`);
        return v;
      }
      return readFileSync(ref, "utf8").trim();
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  }
  return value;
}

/** Validates raw config; every problem names its key, e.g. `broker.port: expected number`. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const interpolated = interpolate(raw ?? {}, env) ?? {};
  if (typeof interpolated !== "object" || Array.isArray(interpolated)) throw new ConfigError("config must be a YAML mapping");
  const { config: input, notices } = migrateConfig(interpolated as Record<string, unknown>);
  for (const [name, path] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== "") setPath(input, path, value);
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const key = i.path.join(".") || "(top level)";
      const keys = i.code === "unrecognized_keys" ? ` ${i.keys.map((k) => [...i.path, k].join(".")).join(", ")}` : "";
      return `  ${key}: ${i.message}${keys}`;
    });
    throw new ConfigError(`invalid config:\n${lines.join("\n")}`);
  }
  configNotices.set(result.data, notices);
  return result.data;
}

const configNotices = new WeakMap<Config, readonly string[]>();

/** What parsing had to say about a config that still works (keys that moved), for the start-up log. */
export function noticesOf(config: Config): readonly string[] {
  return configNotices.get(config) ?? [];
}

export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  if (!file) return parseConfig({}, env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config ${file} is not valid YAML: ${(err as Error).message}`);
  }
  return parseConfig(raw, env);
}
