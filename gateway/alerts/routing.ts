import type { AlertsConfig, QuietHoursConfig, RouteConfig, Severity } from "./config.ts";
import { severityRank } from "./engine.ts";
import type { AlertChange } from "./types.ts";

const formats = new Map<string, Intl.DateTimeFormat>();

/** Minutes since midnight at `ts` in the site's time zone. */
export function minuteOfDay(ts: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) formats.set(timeZone, (format = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })));
  const parts = format.formatToParts(new Date(ts));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get("hour") * 60 + get("minute");
}

/** Whether `ts` falls in "HH:MM-HH:MM" (end exclusive; a range past midnight wraps). */
export function inHours(hours: string, ts: number, timeZone: string): boolean {
  const [from, to] = hours.split("-").map((hm) => {
    const [h, m] = hm.split(":").map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  }) as [number, number];
  const now = minuteOfDay(ts, timeZone);
  return from <= to ? now >= from && now < to : now >= from || now < to;
}

function typeMatches(patterns: readonly string[] | undefined, type: string): boolean {
  return patterns === undefined || patterns.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : p === type));
}

function atLeast(severity: Severity, min: Severity): boolean {
  return severityRank(severity) >= severityRank(min);
}

function routeMatches(r: RouteConfig, change: AlertChange, timeZone: string): boolean {
  const a = change.alert;
  if (!typeMatches(r.types, a.type) || !atLeast(a.severity, r.minSeverity)) return false;
  if (r.buildings && (a.place.building === undefined || !r.buildings.includes(a.place.building))) return false;
  return r.hours === undefined || inHours(r.hours, change.at, timeZone);
}

function quietMatches(q: QuietHoursConfig, change: AlertChange, timeZone: string): boolean {
  const a = change.alert;
  return severityRank(a.severity) <= severityRank(q.maxSeverity) && typeMatches(q.types, a.type) && inHours(q.hours, change.at, timeZone);
}

/**
 * Which webhooks a change goes to, by the routing rules (every matching rule's webhooks), and
 * whether quiet hours keep it from all of them. Without rules every webhook is a candidate.
 */
export class Router {
  constructor(private readonly cfg: Pick<AlertsConfig, "routes" | "quietHours" | "timeZone">) {}

  /** The names of the webhooks the rules send this change to; undefined: no rules, every webhook. */
  channelsFor(change: AlertChange): Set<string> | undefined {
    if (this.cfg.routes.length === 0) return undefined;
    return new Set(this.cfg.routes.filter((r) => routeMatches(r, change, this.cfg.timeZone)).flatMap((r) => r.to));
  }

  quiet(change: AlertChange): boolean {
    return this.cfg.quietHours.some((q) => quietMatches(q, change, this.cfg.timeZone));
  }
}
