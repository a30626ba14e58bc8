/**
 * What Grafana does to an InfluxQL query before InfluxDB sees it, so the tests can run the boards'
 * queries the way Grafana would:
 * - the panel's time range: the dashboard's, or the panel's own relative time (`timeFrom`:
 *   "7d", "now/d") and `timeShift`;
 * - the interval: range / max data points, rounded to a "nice" value (Grafana's roundInterval),
 *   never below the panel's min interval or the datasource's time interval;
 * - template variables (frontend, templateSrv + the InfluxDB datasource's interpolation):
 *   `$site`, `${site}`, `${site:fmt}`, `[[site]]`, escaped as a regex when the variable sits in a
 *   `/.../` literal or is multi-valued; built-ins `$__from`, `$__to`, `$__range*`, `$__interval`,
 *   `$__interval_ms`;
 * - the backend's macros (pkg/tsdb/influxdb/influxql/models/query.go Build): `$timeFilter` ->
 *   `time >= <from>ms and time <= <to>ms`, `$interval`, `$__interval_ms`, `$__interval`.
 */

export interface TimeRange {
  from: number;
  to: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };

/** "10s", "1h", "7d" -> milliseconds */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w|M|y)$/.exec(text.trim());
  if (!m) throw new Error(`not a Grafana duration: ${text}`);
  return Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? NaN);
}

/** Start of the unit containing `t`, in UTC (the tests' time zone). */
function startOf(t: number, unit: string): number {
  const d = new Date(t);
  switch (unit) {
    case "d":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case "h":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    case "w": {
      // Grafana's default week starts on Monday (ISO)
      const day = (d.getUTCDay() + 6) % 7;
      return startOf(t, "d") - day * UNIT_MS.d!;
    }
    case "M":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case "y":
      return Date.UTC(d.getUTCFullYear(), 0, 1);
    default:
      throw new Error(`cannot round to /${unit}`);
  }
}

/** A Grafana relative time ("now", "now-24h", "now/d", "now-1d/d") at `now`. */
export function relativeTime(text: string, now: number): number {
  const m = /^now(?:-(\d+)(ms|s|m|h|d|w|M|y))?(?:\/(d|h|w|M|y))?$/.exec(text);
  if (!m) throw new Error(`not a relative time: ${text}`);
  let t = now - (m[1] ? Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? NaN) : 0);
  if (m[3]) t = startOf(t, m[3]);
  return t;
}

/** The range a panel queries: the dashboard's, replaced by `timeFrom`, moved back by `timeShift`. */
export function panelRange(now: number, dashboard: { from: string; to: string }, panel: { timeFrom?: string; timeShift?: string }): TimeRange {
  let from = relativeTime(dashboard.from, now);
  let to = relativeTime(dashboard.to, now);
  if (panel.timeFrom) {
    const tf = panel.timeFrom.startsWith("now") ? panel.timeFrom : `now-${panel.timeFrom}`;
    from = relativeTime(tf, now);
    to = now;
  }
  if (panel.timeShift) {
    const shift = parseDuration(panel.timeShift);
    from -= shift;
    to -= shift;
  }
  return { from, to };
}

/** Grafana's rangeutil.roundInterval: the nice interval nearest a raw one. */
export function roundInterval(ms: number): number {
  const table: Array<[below: number, nice: number]> = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, nice] of table) if (ms < below) return nice;
  return 31_536_000_000;
}

/** Grafana's interval text (gtime.FormatInterval / rangeutil.secondsToHms for nice values). */
export function formatInterval(ms: number): string {
  for (const [unit, size] of [
    ["y", UNIT_MS.y!],
    ["d", UNIT_MS.d!],
    ["h", UNIT_MS.h!],
    ["m", UNIT_MS.m!],
    ["s", UNIT_MS.s!],
  ] as const) {
    if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  }
  return `${Math.max(1, Math.floor(ms))}ms`;
}

/** $__interval: (to - from) / maxDataPoints, rounded, at least the panel's or datasource's min interval. */
export function calculateInterval(range: TimeRange, maxDataPoints: number, minInterval?: string): { intervalMs: number; interval: string } {
  let intervalMs = roundInterval((range.to - range.from) / maxDataPoints);
  if (minInterval) intervalMs = Math.max(intervalMs, parseDuration(minInterval));
  return { intervalMs, interval: formatInterval(intervalMs) };
}

export interface Variable {
  value: string | string[];
  multi?: boolean;
}

/** lodash escapeRegExp plus `/`, as Grafana's escapeRegex */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

/** the spans of `/.../` regex literals after `=~` or `!~` */
function regexSpans(query: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const re = /[=!]~\s*\/((?:\\.|[^/\\\r\n])*)\//g;
  for (let m = re.exec(query); m; m = re.exec(query)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

function formatValue(v: Variable, format: string | undefined, inRegex: boolean): string {
  const values = Array.isArray(v.value) ? v.value : [v.value];
  switch (format) {
    case "raw":
      return values.join(",");
    case "regex":
      return values.length === 1 ? escapeRegex(values[0] ?? "") : `(${values.map(escapeRegex).join("|")})`;
    case "pipe":
      return values.join("|");
    case "csv":
      return values.join(",");
    case "singlequote":
      return values.map((s) => `'${s.replace(/'/g, "\\'")}'`).join(",");
    case "doublequote":
      return values.map((s) => `"${s.replace(/"/g, '\\"')}"`).join(",");
    case undefined:
      break;
    default:
      throw new Error(`variable format :${format} is not supported here`);
  }
  // the InfluxDB datasource's interpolateQueryExpr
  if (typeof v.value === "string" && !Number.isNaN(Number.parseFloat(v.value))) return v.value;
  if (v.multi) return values.length === 1 ? escapeRegex(values[0] ?? "") : `(${values.map(escapeRegex).join("|")})`;
  return inRegex ? escapeRegex(values[0] ?? "") : (values[0] ?? "");
}

/** Grafana's variable syntaxes: $name, [[name]] / [[name:fmt]], ${name} / ${name:fmt} */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** The frontend's templateSrv.replace with the InfluxDB datasource's interpolation. */
export function interpolate(query: string, variables: Readonly<Record<string, Variable>>): string {
  const spans = regexSpans(query);
  return query.replace(VARIABLE, (match: string, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, _path?: string, bracedFmt?: string, offset?: number) => {
    const name = plain ?? bracket ?? braced ?? "";
    const v = variables[name];
    if (!v) return match; // not a variable: left for the backend ($timeFilter) or for the test to catch
    const at = offset ?? 0;
    const inRegex = spans.some(([a, b]) => at > a && at < b);
    return formatValue(v, bracketFmt ?? bracedFmt, inRegex);
  });
}

export interface ExpandOptions {
  range: TimeRange;
  /** the panel's width in pixels, or its maxDataPoints */
  maxDataPoints: number;
  /** the panel's `interval` or else the datasource's timeInterval */
  minInterval?: string;
  variables: Readonly<Record<string, Variable>>;
}

/** A board's InfluxQL as InfluxDB receives it from Grafana. */
export function expandQuery(query: string, o: ExpandOptions): string {
  const { intervalMs, interval } = calculateInterval(o.range, o.maxDataPoints, o.minInterval);
  const rangeMs = o.range.to - o.range.from;
  const builtIns: Record<string, Variable> = {
    __from: { value: String(o.range.from) },
    __to: { value: String(o.range.to) },
    __range: { value: formatInterval(rangeMs) },
    __range_s: { value: String(Math.round(rangeMs / 1000)) },
    __range_ms: { value: String(rangeMs) },
    __interval: { value: interval },
    __interval_ms: { value: String(intervalMs) },
  };
  let q = interpolate(query, { ...o.variables, ...builtIns });
  // the backend, in the order query.go applies them
  q = q.replaceAll("$timeFilter", `time >= ${o.range.from}ms and time <= ${o.range.to}ms`);
  q = q.replaceAll("$interval", interval);
  q = q.replaceAll("$__interval_ms", String(intervalMs));
  q = q.replaceAll("$__interval", interval);
  return q;
}
