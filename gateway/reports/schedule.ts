import type { ReportsConfig } from "./config.ts";
import { WEEKDAYS } from "./config.ts";
import { localDay } from "../local-day.ts";
import { weekdayOf, zonedTime, type PeriodKind } from "./period.ts";

const DAY = 86_400_000;

/** "HH:MM" or "HH:MM:SS" -> minutes after midnight */
function minutesOf(at: string): number {
  const [h = 0, m = 0, s = 0] = at.split(":").map(Number);
  return h * 60 + m + s / 60;
}

/**
 * The next time after `now` each scheduled report is due: the daily one at `daily` every day, the
 * weekly one at `weekly.at` on `weekly.day`, both in the site's time zone.
 */
export function nextRuns(cfg: Pick<ReportsConfig, "daily" | "weekly">, timeZone: string, now: number): Array<{ kind: PeriodKind; at: number }> {
  const out: Array<{ kind: PeriodKind; at: number }> = [];
  const today = localDay(now, timeZone);
  // eight days ahead always holds the next of either
  const days = Array.from({ length: 9 }, (_, i) => new Date(Date.parse(`${today}T00:00:00Z`) + (i - 1) * DAY).toISOString().slice(0, 10));
  const first = (want: (date: string) => boolean, at: string) => days.filter(want).map((d) => zonedTime(d, minutesOf(at), timeZone)).find((t) => t > now);
  if (cfg.daily) {
    const at = first(() => true, cfg.daily);
    if (at !== undefined) out.push({ kind: "day", at });
  }
  if (cfg.weekly) {
    const weekday = WEEKDAYS.indexOf(cfg.weekly.day);
    const at = first((d) => weekdayOf(d) === weekday, cfg.weekly.at);
    if (at !== undefined) out.push({ kind: "week", at });
  }
  return out;
}

/**
 * Runs each scheduled report when it is due, one timer per kind, re-armed after each run from the
 * wall clock (so a clock change or a long run does not drift the schedule).
 */
export class ReportSchedule {
  readonly #timers = new Map<PeriodKind, NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly cfg: Pick<ReportsConfig, "daily" | "weekly">,
    private readonly timeZone: string,
    private readonly run: (kind: PeriodKind, dueAt: number) => Promise<void>,
  ) {}

  start(): void {
    for (const { kind } of nextRuns(this.cfg, this.timeZone, Date.now())) this.#arm(kind);
  }

  /** when each kind runs next (the page, logs and tests) */
  next(): Array<{ kind: PeriodKind; at: number }> {
    return nextRuns(this.cfg, this.timeZone, Date.now());
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(kind: PeriodKind): void {
    const due = nextRuns(this.cfg, this.timeZone, Date.now()).find((r) => r.kind === kind);
    if (!due || this.#stopped) return;
    // a timer longer than 2^31 ms fires at once; waits are re-armed in steps of at most a day
    const wait = Math.min(due.at - Date.now(), DAY);
    this.#timers.set(
      kind,
      setTimeout(() => {
        if (Date.now() < due.at) return this.#arm(kind);
        void this.run(kind, due.at).finally(() => this.#arm(kind));
      }, Math.max(0, wait)),
    );
  }
}
