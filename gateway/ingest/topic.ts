/** `linli/<site>/<kind>/<deviceId>/<channel>`: the one place the topic layout is spelt out. */
export interface DeviceTopic {
  site: string;
  kind: string;
  deviceId: string;
  channel: string;
}

const LEVEL = /^[A-Za-z0-9._:-]{1,64}$/;

export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split("/");
  if (parts.length !== 5 || parts[0] !== "linli") return undefined;
  const [, site, kind, deviceId, channel] = parts as [string, string, string, string, string];
  if (![site, kind, deviceId, channel].every((p) => LEVEL.test(p))) return undefined;
  return { site, kind, deviceId, channel };
}

export function deviceTopic(t: DeviceTopic): string {
  return `linli/${t.site}/${t.kind}/${t.deviceId}/${t.channel}`;
}

/** The channel of a device's retained `online`/`offline`, which the gateway publishes (gateway/devices-page). */
export const AVAILABILITY_CHANNEL = "availability";

/** Channels under a device's topic that the gateway publishes itself: not device input. */
export function isGatewayChannel(channel: string): boolean {
  return channel === AVAILABILITY_CHANNEL;
}

/** A device's retained availability, for other systems to subscribe to. */
export function availabilityTopic(site: string, kind: string, deviceId: string): string {
  return deviceTopic({ site, kind, deviceId, channel: AVAILABILITY_CHANNEL });
}

/** Every device's availability of a site. */
export function availabilityFilter(site: string): string {
  return availabilityTopic(site, "+", "+");
}

/** Every device message of a site, for the ingest subscription. */
export function siteDeviceFilter(site: string): string {
  return `linli/${site}/+/+/+`;
}

/** An alert's retained current state. */
export function alertTopic(site: string, id: string): string {
  return `linli/${site}/alerts/${id}`;
}

export function gatewayTopic(site: string, name: "status" | "rejected"): string {
  return `linli/${site}/gateway/${name}`;
}

/** Everything under one site: the gateway account's and staff's read scope. */
export function siteFilter(site: string): string {
  return `linli/${site}/#`;
}

/** Staff answers live under `linli/<site>/staff/<account>/...`; this is the part before the account. */
export function staffReplyPrefix(site: string): string {
  return `linli/${site}/staff/`;
}

/** One staff account's reply space, as a filter. */
export function staffReplyFilter(site: string, account: string): string {
  return `${staffReplyPrefix(site)}${account}/#`;
}

/** A staff command to one lift's guard. */
export function guardCommandTopic(site: string, liftId: string): string {
  return `linli/${site}/lift/${liftId}/guard/set`;
}

/** Staff commands to every lift guard of a site. */
export function guardCommandFilter(site: string): string {
  return guardCommandTopic(site, "+");
}

/** Where a lift guard answers its staff commands by default. */
export function guardResultTopic(site: string, liftId: string): string {
  return `linli/${site}/lift/${liftId}/guard/result`;
}

/** The lift a guard command topic is for, or undefined when it is not one. */
export function guardCommandLift(site: string, topic: string): string | undefined {
  const [before, after] = guardCommandTopic(site, "\0").split("\0") as [string, string];
  if (!topic.startsWith(before) || !topic.endsWith(after)) return undefined;
  const id = topic.slice(before.length, topic.length - after.length);
  return id.length > 0 && !id.includes("/") ? id : undefined;
}

/** Commands to one device (a lift's relay box, ...): an outbound channel, which the ingest path ignores. */
export function deviceCommandTopic(site: string, kind: string, deviceId: string): string {
  return deviceTopic({ site, kind, deviceId, channel: "cmd" });
}
