/**
 * Small builders for the boards: every panel gets a datasource, a unit, thresholds and colours by
 * construction, so a board cannot forget them. Types come from @grafana/schema; `npx tsx
 * dashboards/build.ts` writes the JSON Grafana provisions.
 */
import {
  DashboardCursorSync,
  FieldColorModeId,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type AnnotationQuery,
  type Dashboard,
  type DataQuery,
  type DataSourceRef,
  type DataTransformerConfig,
  type FieldConfigSource,
  type GridPos,
  type Panel,
  type Threshold,
  type VariableModel,
} from "@grafana/schema";

/** The uid the provisioned datasource carries (provisioning/datasources/linli-influxdb.yaml). */
export const DATASOURCE: DataSourceRef = { type: "influxdb", uid: "linli-influxdb" };

/** Grafana 12.x writes schemaVersion 41; 13.x migrates it on load. */
export const SCHEMA_VERSION = 41;

/** The tag filter every query carries: `$site` as Grafana's InfluxDB datasource interpolates it. */
export const SITE = `"site" =~ /^$site$/`;
/** The last few minutes before the end of the picked range: "now" as the staff see it. */
export const RECENT = (window: string) => `time > \${__to}ms - ${window} AND time <= \${__to}ms`;

export interface InfluxTarget extends DataQuery {
  query: string;
  rawQuery: true;
  resultFormat: "time_series" | "table";
  alias?: string;
}

export function q(refId: string, query: string, options: { alias?: string; table?: boolean } = {}): InfluxTarget {
  return {
    refId,
    datasource: DATASOURCE,
    query,
    rawQuery: true,
    resultFormat: options.table ? "table" : "time_series",
    ...(options.alias ? { alias: options.alias } : {}),
  };
}

export type Steps = Array<[colour: string, from: number | null]>;

export function thresholds(steps: Steps): { mode: ThresholdsMode; steps: Threshold[] } {
  return { mode: ThresholdsMode.Absolute, steps: steps.map(([color, value]) => ({ color, value })) };
}

/** Colours by meaning: more is worse, more is better, or just information. */
export const WORSE = (orange: number, red: number): Steps => [
  ["green", null],
  ["orange", orange],
  ["red", red],
];
export const BETTER = (orange: number, green: number): Steps => [
  ["red", null],
  ["orange", orange],
  ["green", green],
];
export const INFO: Steps = [["blue", null]];

export function at(x: number, y: number, w: number, h: number): GridPos {
  return { x, y, w, h };
}

type Override = FieldConfigSource["overrides"][number];

export function unitOf(name: string, unit: string, extra: Override["properties"] = []): Override {
  return { matcher: { id: "byName", options: name }, properties: [{ id: "unit", value: unit }, ...extra] };
}

interface Common {
  title: string;
  /** English, for the maintainers; the title is what staff read */
  description: string;
  unit: string;
  steps: Steps;
  targets: InfluxTarget[];
  gridPos: GridPos;
  decimals?: number;
  min?: number;
  max?: number;
  /** the panel's minimum interval: $__interval never goes below it */
  interval?: string;
  /** a relative time of its own, e.g. "now/d" (today so far) or "7d" */
  timeFrom?: string;
  overrides?: Override[];
  transformations?: DataTransformerConfig[];
  /** colour by series (palette) or by thresholds */
  colour?: "palette" | "thresholds";
}

function base(type: string, c: Common, custom: Record<string, unknown>, options: Record<string, unknown>): Panel {
  return {
    type,
    title: c.title,
    description: c.description,
    datasource: DATASOURCE,
    gridPos: c.gridPos,
    ...(c.interval ? { interval: c.interval } : {}),
    ...(c.timeFrom ? { timeFrom: c.timeFrom } : {}),
    targets: c.targets as unknown as Array<Record<string, unknown>>,
    fieldConfig: {
      defaults: {
        unit: c.unit,
        ...(c.decimals === undefined ? {} : { decimals: c.decimals }),
        ...(c.min === undefined ? {} : { min: c.min }),
        ...(c.max === undefined ? {} : { max: c.max }),
        color: { mode: c.colour === "thresholds" ? FieldColorModeId.Thresholds : FieldColorModeId.PaletteClassic },
        thresholds: thresholds(c.steps),
        custom,
      },
      overrides: c.overrides ?? [],
    },
    options,
    ...(c.transformations ? { transformations: c.transformations } : {}),
  };
}

export interface TimeseriesSpec extends Common {
  style?: "line" | "bars" | "points";
  stack?: boolean;
  /** draw the thresholds on the graph: a line, a dashed line, or shaded areas */
  showThresholds?: "line" | "dashed" | "line+area" | "area";
  softMax?: number;
}

export function timeseries(s: TimeseriesSpec): Panel {
  const style = s.style ?? "line";
  return base(
    "timeseries",
    s,
    {
      drawStyle: style,
      lineWidth: style === "points" ? 0 : 1,
      fillOpacity: style === "bars" ? 80 : 10,
      pointSize: style === "points" ? 8 : 4,
      showPoints: style === "points" ? "always" : "never",
      spanNulls: false,
      stacking: { mode: s.stack ? "normal" : "none", group: "A" },
      axisSoftMin: 0,
      ...(s.softMax === undefined ? {} : { axisSoftMax: s.softMax }),
      thresholdsStyle: { mode: s.showThresholds ?? "off" },
    },
    {
      legend: { displayMode: "list", placement: "bottom", showLegend: true, calcs: [] },
      tooltip: { mode: "multi", sort: "desc" },
    },
  );
}

export interface StatSpec extends Common {
  /** how a series becomes one number */
  reduce?: "lastNotNull" | "sum" | "max" | "mean";
}

export function stat(s: StatSpec): Panel {
  return base("stat", { ...s, colour: "thresholds" }, {}, {
    reduceOptions: { calcs: [s.reduce ?? "lastNotNull"], fields: "", values: false },
    colorMode: "background",
    graphMode: "none",
    justifyMode: "auto",
    orientation: "auto",
    textMode: "value_and_name",
    wideLayout: true,
    showPercentChange: false,
  });
}

export function table(s: Common & { sortBy?: string }): Panel {
  return base("table", { ...s, colour: s.colour ?? "thresholds" }, { align: "auto", cellOptions: { type: "auto" }, inspect: false }, {
    showHeader: true,
    cellHeight: "sm",
    footer: { show: false, reducer: ["sum"], fields: "" },
    ...(s.sortBy ? { sortBy: [{ displayName: s.sortBy, desc: true }] } : {}),
  });
}

export function pie(s: Common): Panel {
  return base("piechart", { ...s, colour: "palette" }, { hideFrom: { legend: false, tooltip: false, viz: false } }, {
    reduceOptions: { calcs: ["sum"], fields: "", values: false },
    pieType: "donut",
    displayLabels: ["percent"],
    legend: { displayMode: "table", placement: "right", showLegend: true, values: ["value"] },
    tooltip: { mode: "single", sort: "none" },
  });
}

export function histogram(s: Common & { bucketSize: number }): Panel {
  return base("histogram", { ...s, colour: s.colour ?? "palette" }, { fillOpacity: 80, lineWidth: 1, gradientMode: "none" }, {
    bucketSize: s.bucketSize,
    bucketOffset: 0,
    combine: false,
    legend: { displayMode: "list", placement: "bottom", showLegend: true, calcs: [] },
  });
}

export function siteVariable(): VariableModel {
  return {
    type: "query",
    name: "site",
    label: "小区",
    description: "The compound (the `site` tag every linli point carries).",
    datasource: DATASOURCE,
    query: `SHOW TAG VALUES WITH KEY = "site"`,
    refresh: VariableRefresh.onDashboardLoad,
    sort: VariableSort.alphabeticalAsc,
    multi: false,
    includeAll: false,
    hide: VariableHide.dontHide,
    options: [],
  };
}

export function builtInAnnotations(): AnnotationQuery {
  return {
    builtIn: 1,
    datasource: { type: "grafana", uid: "-- Grafana --" },
    enable: true,
    hide: true,
    iconColor: "rgba(0, 211, 255, 1)",
    name: "Annotations & Alerts",
    type: "dashboard",
  };
}

export interface BoardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  panels: Panel[];
  annotations?: AnnotationQuery[];
  variables?: VariableModel[];
  from?: string;
  refresh?: string;
}

/** Every board links to the others, keeping the time range and the site. */
const LINKS: NonNullable<Dashboard["links"]> = [
  { title: "linli", type: "dashboards", tags: ["linli"], asDropdown: true, includeVars: true, keepTime: true, icon: "external link", targetBlank: false, tooltip: "", url: "" },
];

export function board(b: BoardSpec): Dashboard {
  return {
    uid: b.uid,
    title: b.title,
    description: b.description,
    tags: ["linli", ...b.tags],
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    timezone: "browser",
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: b.refresh ?? "1m",
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: { from: b.from ?? "now-24h", to: "now" },
    timepicker: {},
    links: LINKS,
    annotations: { list: [builtInAnnotations(), ...(b.annotations ?? [])] },
    templating: { list: [siteVariable(), ...(b.variables ?? [])] },
    panels: b.panels.map((p, i) => ({ ...p, id: i + 1 })),
  };
}
