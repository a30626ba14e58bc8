import type { Config } from "../config.ts";
import { channelName, destinationOf, type ChannelSection, type ChannelTarget } from "./config.ts";

/** One config entry that names a channel, and the section it is in. */
export interface ChannelEntry {
  name: string;
  section: ChannelSection;
  target: ChannelTarget;
}

/** Every channel entry in the config, in the order a channel takes its first name from. */
export function channelEntries(config: Pick<Config, "alerts" | "orders">): ChannelEntry[] {
  const of = (section: ChannelSection, targets: readonly ChannelTarget[]) => targets.map((target, i) => ({ name: channelName(section, target, i), section, target }));
  return [
    ...of("alerts", config.alerts.webhooks),
    ...of("alertEscalation", config.alerts.escalation.webhooks),
    ...of("orderReminders", config.orders.escalation.webhooks),
    ...of("orderSupervisor", config.orders.escalation.supervisorWebhooks),
  ];
}

/** Entries for one destination, which become one channel. */
export interface ChannelGroup {
  name: string;
  target: ChannelTarget;
  names: string[];
  /** the lowest perMinute an entry set, if any did */
  perMinute: number | undefined;
}

/**
 * Groups entries by destination (a robot is its URL, an MQTT channel its topic). Refuses what would
 * be ambiguous: one name for two destinations, or one destination written as two types or secrets.
 */
export function groupEntries(entries: readonly ChannelEntry[]): ChannelGroup[] {
  const groups = new Map<string, ChannelGroup>();
  const destinationOfName = new Map<string, string>();
  for (const e of entries) {
    const dest = destinationOf(e.target);
    const seen = destinationOfName.get(e.name);
    if (seen !== undefined && seen !== dest) throw new Error(`channel name ${e.name} is given to two different destinations`);
    destinationOfName.set(e.name, dest);
    const g = groups.get(dest);
    if (!g) {
      groups.set(dest, { name: e.name, target: e.target, names: [e.name], perMinute: e.target.perMinute });
      continue;
    }
    if (g.target.type !== e.target.type || g.target.secret !== e.target.secret) throw new Error(`channels ${g.name} and ${e.name} go to one destination but differ in type or secret`);
    if (!g.names.includes(e.name)) g.names.push(e.name);
    if (e.target.perMinute !== undefined) g.perMinute = Math.min(g.perMinute ?? Infinity, e.target.perMinute);
  }
  return [...groups.values()];
}
