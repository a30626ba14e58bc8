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
