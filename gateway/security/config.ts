import { z } from "zod";

const port = z.number().int().min(0).max(65_535);

const tlsSchema = z.strictObject({
  /** an mqtts listener next to (or instead of) the plain one */
  enabled: z.boolean().default(false),
  /** binds broker.host, like the plain listener */
  port: port.default(8883),
  /** PEM file paths */
  cert: z.string().optional(),
  key: z.string().optional(),
  /** CA bundle that signs client certificates (optional: fingerprints in the registry pin certificates on their own) */
  ca: z.string().optional(),
  /** ask clients for a certificate; one whose SHA-256 fingerprint is in the registry authenticates its device */
  requestCert: z.boolean().default(false),
});

const limitsSchema = z.strictObject({
  /** the largest MQTT packet accepted, checked from the fixed header before aedes buffers it (a 5 MiB lift frame fits) */
  maxPacketBytes: z.number().int().min(64).default(8 * 1024 * 1024),
  /** open sockets (TCP + TLS) at once; the next is closed and counted */
  maxConnections: z.number().int().min(1).default(2_000),
  /** a socket that sends no CONNECT within this is closed */
  connectTimeoutMs: z.number().int().min(100).default(10_000),
  /** per authenticated client: sustained publishes per second (token bucket) */
  ratePerSec: z.number().positive().default(50),
  /** per authenticated client: bucket size, a burst allowed above the rate */
  burst: z.number().int().min(1).default(200),
  /** a client further behind than this is disconnected instead of throttled */
  maxThrottleMs: z.number().int().min(0).default(5_000),
  /** publishes of one client accepted but not yet processed (throttled, QoS 2 awaiting PUBREL); past it, disconnected */
  maxInflight: z.number().int().min(1).default(100),
  /** apply the rate limit to gateway/staff accounts and anonymous loopback clients (the demo simulator) too */
  limitTrusted: z.boolean().default(false),
});

const authFailureSchema = z.strictObject({
  /** failures per address before replies slow down */
  freeAttempts: z.number().int().min(0).default(3),
  /** first delay; it doubles with every further failure */
  baseDelayMs: z.number().int().min(0).default(500),
  maxDelayMs: z.number().int().min(0).default(30_000),
  /** an address is forgiven after this long without failures */
  forgetAfterMs: z.number().int().min(1_000).default(15 * 60_000),
});

const commandsSchema = z.strictObject({
  /** commands published by staff over MQTT must carry `nonce` and `expiresAt` (with a registry) */
  requireEnvelope: z.boolean().default(true),
  /** `expiresAt` may be at most this far ahead: it bounds the replay cache */
  maxTtlMs: z.number().int().min(1_000).default(5 * 60_000),
  /** nonces remembered; when full, new commands are refused rather than risk a replay */
  replayCacheSize: z.number().int().min(100).default(100_000),
});

export const securityConfigSchema = z.strictObject({
  /**
   * The device registry (devices.yaml, `linli devices add`). Unset: the embedded broker accepts
   * anonymous clients on a loopback address only, as Mosquitto 2 does with no listener configured.
   */
  registry: z.string().optional(),
  /** the plain MQTT listener (broker.host:broker.port); switch off to accept mqtts only */
  plain: z.boolean().default(true),
  tls: tlsSchema.prefault({}),
  limits: limitsSchema.prefault({}),
  authFailures: authFailureSchema.prefault({}),
  commands: commandsSchema.prefault({}),
  /** append-only JSON lines of staff actions and refused commands; relative to dataDir */
  auditFile: z.string().default("audit/security.jsonl"),
});

export type SecurityConfig = z.infer<typeof securityConfigSchema>;
export type SecurityConfigInput = z.input<typeof securityConfigSchema>;
