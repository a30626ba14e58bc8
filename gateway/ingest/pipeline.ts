import type { Channel, DeviceEvent, DeviceKind, MessageMeta, PointContext } from "../../devices/types.ts";
import type { InboundMessage } from "../broker/link.ts";
import type { RejectReason } from "../events.ts";
import type { Point } from "../influx/point.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { RecentKeys } from "./dedup.ts";
import { isGatewayChannel, parseDeviceTopic } from "./topic.ts";

export interface PipelineOptions {
  site: string;
  maxClockSkewMs: number;
  dedupWindow: number;
  /** `<kind>/<channel>` -> bytes, overriding a channel's own cap */
  maxBytes: Readonly<Record<string, number>>;
  /** how the points of accepted messages protect personal data */
  pointContext: PointContext;
  /** every outcome but `ignored` is counted here */
  counters: IngestCounters;
  now?: () => number;
}

export type IngestCounters = Pick<GatewayMetrics, "messageIn" | "rejected" | "restamped">;

export type Outcome =
  /** `dedupKey`: the key remembered for the event's id, for `forget` when the message cannot be kept */
  | { status: "accepted"; event: DeviceEvent; points: Point[]; restamped?: "missing" | "skew"; dedupKey?: string }
  | { status: "rejected"; reason: RejectReason; detail: string }
  /** a command topic the gateway itself publishes on: not device input */
  | { status: "ignored" };

const reject = (reason: RejectReason, detail: string): Outcome => ({ status: "rejected", reason, detail });

/**
 * Turns one MQTT message into a canonical device event and its points, or a reason it is refused,
 * and counts the outcome: the one path from a message to InfluxDB, for live traffic and simulated
 * days alike. The steps run cheapest first: topic, kind, channel, size cap (before any parsing),
 * decode, schema, identity, duplicates, time.
 */
export class IngestPipeline {
  readonly #kinds: ReadonlyMap<string, DeviceKind>;
  readonly #recent: RecentKeys;
  readonly #now: () => number;

  constructor(
    kinds: readonly DeviceKind[],
    private readonly options: PipelineOptions,
  ) {
    this.#kinds = new Map(kinds.map((k) => [k.kind, k]));
    this.#recent = new RecentKeys(options.dedupWindow);
    this.#now = options.now ?? Date.now;
  }

  accept(message: InboundMessage): Outcome {
    const outcome = this.#decide(message);
    const { counters } = this.options;
    if (outcome.status === "rejected") counters.rejected(outcome.reason);
    else if (outcome.status === "accepted") {
      counters.messageIn(outcome.event.kind, outcome.event.channel);
      if (outcome.restamped) counters.restamped(outcome.restamped);
    }
    return outcome;
  }

  /** Forgets an accepted event's `dedupKey`, so the device's resend is taken rather than refused as a duplicate. */
  forget(key: string): void {
    this.#recent.forget(key);
  }

  #decide(message: InboundMessage): Outcome {
    const receivedAt = this.#now();
    const topic = parseDeviceTopic(message.topic);
    if (!topic || topic.site !== this.options.site) return reject("bad_topic", `not linli/${this.options.site}/<kind>/<deviceId>/<channel>`);
    const kind = this.#kinds.get(topic.kind);
    if (!kind) return reject("unknown_kind", `no device kind "${topic.kind}"`);
    if (kind.outbound.includes(topic.channel) || isGatewayChannel(topic.channel)) return { status: "ignored" };
    const channel = kind.channels[topic.channel] as Channel<unknown> | undefined;
    if (!channel) return reject("unknown_channel", `${topic.kind} has no channel "${topic.channel}"`);
    const cap = this.options.maxBytes[`${topic.kind}/${topic.channel}`] ?? channel.maxBytes;
    if (message.payload.length > cap) return reject("oversize", `${message.payload.length} bytes > ${cap}`);

    let data: unknown;
    if (channel.encoding === "json") {
      let raw: unknown;
      try {
        raw = JSON.parse(message.payload.toString("utf8"));
      } catch (err) {
        return reject("malformed_json", (err as Error).message);
      }
      const parsed = channel.schema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reject("schema", issue ? `${issue.path.join(".") || "(payload)"}: ${issue.message}` : "invalid payload");
      }
      data = parsed.data;
    } else {
      const meta: MessageMeta = { site: topic.site, deviceId: topic.deviceId, receivedAt, ...(message.userProperties ? { userProperties: message.userProperties } : {}) };
      const decoded = channel.decode(message.payload, meta);
      if (!decoded.ok) return reject(decoded.reason, decoded.detail);
      data = decoded.data;
    }

    const claimed = channel.deviceIdOf?.(data);
    if (claimed !== undefined && claimed !== topic.deviceId) return reject("device_mismatch", `payload deviceId "${claimed}" on topic of "${topic.deviceId}"`);
    const eventId = channel.eventIdOf?.(data);
    const dedupKey = eventId === undefined ? undefined : `${topic.kind}/${topic.deviceId}/${eventId}`;
    if (dedupKey !== undefined && this.#recent.seen(dedupKey)) return reject("duplicate", `event ${eventId} already received`);

    const deviceTs = channel.tsOf?.(data);
    let ts = receivedAt;
    let restamped: "missing" | "skew" | undefined;
    if (deviceTs === undefined) restamped = channel.tsOf ? "missing" : undefined;
    else if (Math.abs(deviceTs - receivedAt) > this.options.maxClockSkewMs) restamped = "skew";
    else ts = deviceTs;

    const event: DeviceEvent = { site: topic.site, kind: topic.kind, deviceId: topic.deviceId, channel: topic.channel, ts, receivedAt, data };
    // once per message: optional keys set, not spread
    const accepted: Outcome & { status: "accepted" } = { status: "accepted", event, points: channel.points(event, this.options.pointContext) };
    if (restamped) accepted.restamped = restamped;
    if (dedupKey) accepted.dedupKey = dedupKey;
    return accepted;
  }
}
