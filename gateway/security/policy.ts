import type { DeviceKind } from "../../devices/types.ts";
import { deviceTopic, guardCommandLift, guardResultTopic } from "../ingest/topic.ts";

/**
 * Who may publish and subscribe to what: one pure function each, used by the embedded broker's
 * hooks and mirrored by the Mosquitto ACL export. A device speaks only for itself; only the
 * gateway and staff command devices, raise alerts or read other devices.
 */

export type Identity =
  | { type: "anonymous" }
  | { type: "device"; id: string; kind: string; site: string }
  | { type: "account"; id: string; role: "staff" | "gateway"; site: string };

export type DenyReason =
  /** $SYS/... */
  | "sys_topic"
  /** outside linli/<own site>/ */
  | "other_site"
  /** another device's topic, or not a topic of the contract */
  | "foreign_topic"
  /** a device publishing a command (its own cmd, a lift guard command) */
  | "device_command"
  /** a staff account publishing device data or gateway topics */
  | "not_allowed"
  /** commands: missing or malformed nonce / expiry */
  | "bad_envelope"
  | "expired"
  | "replayed"
  | "replay_cache_full"
  /** a staff command asking for its response on a topic outside the reply space */
  | "bad_response_topic"
  /** a command published with retain: the broker would replay it */
  | "retained_command";

export type TopicClass =
  | { type: "sys" }
  | { type: "other_site" }
  | { type: "device_data"; kind: string; deviceId: string; channel: string }
  | { type: "command"; kind: string; deviceId: string; channel: string }
  | { type: "alert" }
  | { type: "gateway" }
  | { type: "staff_reply"; account: string }
  | { type: "guard_result"; deviceId: string }
  | { type: "other" };

export type Decision = { ok: true; topic: TopicClass } | { ok: false; reason: DenyReason; topic?: TopicClass };

export class TopicPolicy {
  readonly #kinds: ReadonlyMap<string, DeviceKind>;

  constructor(
    readonly site: string,
    kinds: readonly DeviceKind[],
  ) {
    this.#kinds = new Map(kinds.map((k) => [k.kind, k]));
  }

  /** What a concrete topic is, in the topic contract of this site. */
  classify(topic: string): TopicClass {
    if (topic.startsWith("$")) return { type: "sys" };
    const p = topic.split("/");
    if (p[0] !== "linli" || p[1] !== this.site) return { type: "other_site" };
    const [, , a, b, c] = p;
    if (a === "alerts") return { type: "alert" };
    if (a === "gateway") return { type: "gateway" };
    if (a === "staff" && b && p.length >= 4) return { type: "staff_reply", account: b };
    const kind = a === undefined ? undefined : this.#kinds.get(a);
    if (!kind || !b) return { type: "other" };
    if (p.length === 5 && c !== undefined) {
      if (kind.outbound.includes(c)) return { type: "command", kind: kind.kind, deviceId: b, channel: c };
      if (Object.hasOwn(kind.channels, c)) return { type: "device_data", kind: kind.kind, deviceId: b, channel: c };
      return { type: "other" };
    }
    if (guardCommandLift(this.site, topic) === b) return { type: "command", kind: "lift", deviceId: b, channel: "guard/set" };
    const result = guardResultTopic(this.site, b);
    if (topic === result || topic.startsWith(`${result}/`)) return { type: "guard_result", deviceId: b };
    return { type: "other" };
  }

  canPublish(who: Identity, topic: string): Decision {
    const t = this.classify(topic);
    if (t.type === "sys") return { ok: false, reason: "sys_topic", topic: t };
    if (who.type === "anonymous") return { ok: true, topic: t };
    if (who.site !== this.site || t.type === "other_site") return { ok: false, reason: "other_site", topic: t };
    if (who.type === "device") {
      if (t.type === "command") return { ok: false, reason: "device_command", topic: t };
      if (t.type === "device_data" && t.kind === who.kind && t.deviceId === who.id) return { ok: true, topic: t };
      return { ok: false, reason: "foreign_topic", topic: t };
    }
    if (who.role === "gateway") return { ok: true, topic: t };
    // staff
    if (t.type === "command" || t.type === "alert") return { ok: true, topic: t };
    if (t.type === "staff_reply" && t.account === who.id) return { ok: true, topic: t };
    return { ok: false, reason: "not_allowed", topic: t };
  }

  canSubscribe(who: Identity, filter: string): { ok: true } | { ok: false; reason: DenyReason } {
    if (who.type === "anonymous") return filter.startsWith("$SYS") ? { ok: false, reason: "sys_topic" } : { ok: true };
    if (filter.startsWith("$")) return { ok: false, reason: "sys_topic" };
    const p = filter.split("/");
    if (p[0] !== "linli" || p[1] !== who.site || who.site !== this.site) return { ok: false, reason: "other_site" };
    if (who.type === "account") return { ok: true };
    const kind = this.#kinds.get(who.kind);
    const own = kind?.outbound.some((ch) => filter === deviceTopic({ site: who.site, kind: who.kind, deviceId: who.id, channel: ch })) ?? false;
    return own ? { ok: true } : { ok: false, reason: "foreign_topic" };
  }

  /** Where a staff command may ask for its response: its own reply space or the lift's result topic. */
  replyTopicAllowed(who: Identity, responseTopic: string, commandTopic: TopicClass): boolean {
    if (who.type !== "account") return false;
    const t = this.classify(responseTopic);
    if (t.type === "staff_reply") return t.account === who.id;
    return t.type === "guard_result" && commandTopic.type === "command" && t.deviceId === commandTopic.deviceId;
  }
}
