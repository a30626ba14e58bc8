import { localDay } from "../local-day.ts";

/** A report's period: a calendar day or a Monday-to-Sunday week in the site's time zone. */
export type PeriodKind = "day" | "week";

export interface Period {
  kind: PeriodKind;
  /** the first day, YYYY-MM-DD in the time zone */
  date: string;
  /** epoch ms, local midnight at the start */
  from: number;
  /** epoch ms, local midnight after the end (exclusive) */
  to: number;
  timeZone: string;
}

const DAY = 86_400_000;


/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(ts: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
      .formatToParts(ts)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - Math.floor(ts / 1000) * 1000;
}

/** The instant a wall-clock time happens in a time zone (checked twice, so a DST change between is taken). */
export function zonedTime(date: string, minutes: number, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000;
  const first = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(first, timeZone);
}

export const isDate = (s: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** 0 = Monday ... 6 = Sunday, of a calendar date */
export const weekdayOf = (date: string): number => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;

/** The day of `date`, or the week (Monday first) that holds it. */
export function periodOf(kind: PeriodKind, date: string, timeZone: string): Period {
  const first = kind === "day" ? date : addDays(date, -weekdayOf(date));
  const after = addDays(first, kind === "day" ? 1 : 7);
  return { kind, date: first, from: zonedTime(first, 0, timeZone), to: zonedTime(after, 0, timeZone), timeZone };
}

/** The last whole day or week before `now`: what the morning's report covers. */
export function previousPeriod(kind: PeriodKind, now: number, timeZone: string): Period {
  const today = localDay(now, timeZone);
  return periodOf(kind, addDays(today, kind === "day" ? -1 : -7), timeZone);
}

/** "2026-12-02" or "2026-11-30 – 2026-12-06" */
export function periodLabel(p: Period): string {
  return p.kind === "day" ? p.date : `${p.date} – ${addDays(p.date, 6)}`;
}

/** A file name for the period's report: linli-report-day-2026-12-02 */
export const periodSlug = (p: Period): string => `linli-report-${p.kind}-${p.date}`;
