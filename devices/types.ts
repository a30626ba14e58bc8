import type { Texts } from "../gateway/i18n.ts";
import type { z } from "zod";
import type { Measurement, Point } from "../gateway/influx/point.ts";

/** What the ingest path knows about one MQTT message besides its payload. */
export interface MessageMeta {
  site: string;
  deviceId: string;
  receivedAt: number;
  /** MQTT 5 user properties, when the publisher sent any. */
  userProperties?: Record<string, string | string[]>;
}

/** A device message after validation and normalisation: what every feature downstream consumes. */
export interface DeviceEvent<T = unknown> {
  site: string;
  kind: string;
  deviceId: string;
  channel: string;
  /** epoch ms: the device's own time when sane, else the gateway's receive time */
  ts: number;
  receivedAt: number;
  data: T;
}

export type Decoded<T> = { ok: true; data: T } | { ok: false; reason: "schema" | "bad_image"; detail: string };

/** Per-site values the point builders need (how to protect personal data, for instance). */
export interface PointContext {
  /** Turns a licence plate or person id into what may be stored (hash, mask or clear, by config). */
  protectId(value: string): string;
}

interface ChannelBase<T> {
  description: string;
  /** the outbound channel this one answers (an ack of a command): it is heard only after a command */
  answers?: string;
  /** Size cap, checked before anything is parsed. */
  maxBytes: number;
  /** Device time in the payload, when it carries one. */
  tsOf?(data: T): number | undefined;
  /** Device id in the payload, when it carries one; must equal the topic's. */
  deviceIdOf?(data: T): string | undefined;
  /** A unique event id; a repeat is rejected as a duplicate. */
  eventIdOf?(data: T): string | undefined;
  points(event: DeviceEvent<T>, ctx: PointContext): Point[];
}

export interface JsonChannel<T> extends ChannelBase<T> {
  encoding: "json";
  schema: z.ZodType<T>;
}

export interface BinaryChannel<T> extends ChannelBase<T> {
  encoding: "binary";
  decode(payload: Buffer, meta: MessageMeta): Decoded<T>;
}

export type Channel<T> = JsonChannel<T> | BinaryChannel<T>;

/** One message a simulated device publishes. */
export interface SimMessage {
  deviceId: string;
  channel: string;
  payload: Buffer | object;
}

export interface SimulatedDevice {
  deviceId: string;
  /** Messages due at simulated time `now` (epoch ms); called every `tickMs`. */
  tick(now: number): SimMessage[];
}

export interface SimulatorOptions {
  /** A random source, so a simulated day is reproducible from a seed. */
  random: () => number;
  /** Frames for camera simulators, when the site has a folder of images. */
  images?: readonly Buffer[];
  /** Frames that show an e-bike: lift cameras send a stretch of them now and then. */
  ebikeImages?: readonly Buffer[];
}

export interface Simulator {
  /** How many devices of this kind a typical compound has. */
  defaultCount: number;
  tickMs: number;
  create(index: number, options: SimulatorOptions): SimulatedDevice;
  /** How a simulated device answers a command the gateway sent it on `cmd`, when it answers at all. */
  answer?(command: unknown): { channel: string; payload: object } | undefined;
}

/**
 * One device kind, declared in one module: its channels (schema, normalisation, points), the
 * measurements those points belong to, the command channels the gateway publishes to it, and its
 * simulator. The gateway core iterates over these definitions and never switches on a kind.
 */
export interface DeviceKind<C extends Record<string, Channel<any>> = Record<string, Channel<any>>> {
  kind: string;
  title: string;
  /** what staff call a device of this kind, on the console's pages and in reports */
  names: Texts;
  /** A device of this kind that has sent nothing for this long is considered offline. */
  silentAfterMs: number;
  channels: C;
  /** Channels the gateway publishes on (commands): the ingest path ignores them. */
  outbound: readonly string[];
  measurements: readonly Measurement[];
  simulator: Simulator;
}

/**
 * How long a device of `kind` may be quiet before it is offline: the site's override for the kind
 * (`alerts.rules.silentAfterMs`), else the kind's own `silentAfterMs`; 0 or less: never offline.
 * The device_silent alert's rule, kept here so every reader of a device's state applies the same one.
 */
export function silentLimitOf(kind: Pick<DeviceKind, "kind" | "silentAfterMs">, overrides: Readonly<Record<string, number>>): number {
  return overrides[kind.kind] ?? kind.silentAfterMs;
}

/** Whether a device last heard at `lastSeenAt` (epoch ms) is offline at `now` under `limitMs`. */
export function isSilent(lastSeenAt: number, now: number, limitMs: number): boolean {
  return limitMs > 0 && now - lastSeenAt > limitMs;
}

export type DataOf<Ch> = Ch extends Channel<infer T> ? T : never;

export function defineKind<C extends Record<string, Channel<any>>>(def: DeviceKind<C>): DeviceKind<C> {
  return def;
}

/** Narrows a device event to one channel of one kind, with its payload typed. */
export function isChannel<D extends DeviceKind<any>, K extends keyof D["channels"] & string>(
  event: DeviceEvent,
  def: D,
  channel: K,
): event is DeviceEvent<DataOf<D["channels"][K]>> {
  return event.kind === def.kind && event.channel === channel;
}

/** The fields every JSON payload may carry (`envelope` in common.ts). */
interface Envelope {
  ts?: number | undefined;
  deviceId?: string | undefined;
}

/**
 * Declares a JSON channel, inferring its payload type from the schema so `points` is typed. The
 * envelope's `ts` and `deviceId` are the device time and claimed identity unless said otherwise.
 */
export function jsonChannel<T extends Envelope>(def: Omit<JsonChannel<T>, "encoding">): JsonChannel<T> {
  return { encoding: "json", tsOf: (d) => d.ts, deviceIdOf: (d) => d.deviceId, ...def };
}

/** Declares a binary channel, its payload type inferred from `decode`. */
export function binaryChannel<T>(def: Omit<BinaryChannel<T>, "encoding">): BinaryChannel<T> {
  return { encoding: "binary", ...def };
}
