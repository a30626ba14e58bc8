/**
 * The Grafana boards (issue 6), proven without a Grafana: their JSON against @grafana/schema (tsc,
 * test/dashboards/types.ts) and Grafana's structural rules; every name they query against
 * docs/schema.md; and every panel's query, expanded as Grafana expands it, run against a real
 * influxd holding a simulated day, with the shape of what comes back checked.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultDashboard } from "@grafana/schema";
import { evidenceId } from "../gateway/evidence/store.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { boards, render } from "../dashboards/src/index.ts";
import { DATASOURCE } from "../dashboards/src/kit.ts";
import { calculateInterval, expandQuery, formatInterval, interpolate, panelRange, relativeTime, roundInterval, type Variable } from "./dashboards/grafana.ts";
import { analyse, parseSchemaDoc } from "./dashboards/influxql.ts";
import { seedDay } from "./dashboards/seed.ts";
import { committedBoards } from "./dashboards/types.ts";
import { startInfluxd, type Influxd, type Series } from "./services/influxd.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DIR = join(ROOT, "dashboards");
const schema = parseSchemaDoc(readFileSync(join(ROOT, "docs/schema.md"), "utf8"));

interface Target {
  refId: string;
  query: string;
  rawQuery?: boolean;
  resultFormat?: string;
  datasource?: { uid?: string; type?: string };
}
interface Step {
  color: string;
  value: number | null;
}
interface Override {
  matcher: { id: string; options: string };
  properties: Array<{ id: string; value?: unknown }>;
}
interface PanelJson {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { uid?: string; type?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  interval?: string;
  timeFrom?: string;
  timeShift?: string;
  maxDataPoints?: number;
  targets: Target[];
  fieldConfig: { defaults: { unit?: string; color?: { mode?: string }; thresholds?: { mode: string; steps: Step[] } }; overrides: Override[] };
}
interface BoardJson {
  uid: string;
  title: string;
  description: string;
  schemaVersion: number;
  time: { from: string; to: string };
  panels: PanelJson[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; datasource?: { uid?: string } }> };
  annotations: { list: Array<{ name: string; builtIn?: number; datasource?: { uid?: string }; target?: Target & { textColumn?: string; tagsColumn?: string } }> };
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
const committed: Array<[string, BoardJson]> = files.map((f) => [f, JSON.parse(readFileSync(join(DIR, f), "utf8")) as BoardJson]);
const allPanels = committed.flatMap(([file, b]) => b.panels.map((p) => [`${file} / ${p.title}`, p, b] as const));

const CJK = /[\u4e00-\u9fff]/;
/** Grafana's unit ids the boards may use, and its custom units (suffix:, prefix:, ...) */
const UNITS = new Set(["short", "string", "percent", "percentunit", "watt", "kwatt", "watth", "kwatth", "celsius", "ms", "s", "bytes", "decbytes", "mps", "mpm", "cps", "cpm", "ops", "wps", "reqps"]);
const isUnit = (u: unknown) => typeof u === "string" && (UNITS.has(u) || /^(suffix|prefix|count|si):\s?\S+/.test(u));
const PANEL_TYPES = new Set(["timeseries", "stat", "table", "piechart", "histogram", "bargauge", "barchart", "gauge"]);

describe("the boards as files", () => {
  it("six boards, written from dashboards/src exactly as committed (run `npx tsx dashboards/build.ts` after editing a source)", () => {
    expect(files).toEqual(boards.map((b) => b.file).sort());
    for (const { file, dashboard } of boards) expect(readFileSync(join(DIR, file), "utf8"), file).toBe(render(dashboard));
    // the JSON the test reads is the JSON tsc checked against @grafana/schema (test/dashboards/types.ts)
    expect(Object.keys(committedBoards).sort()).toEqual(files);
  });

  it.each(committed)("%s: a current Grafana dashboard with a site variable", (file, b) => {
    expect(b.uid, file).toMatch(/^linli-[a-z]+$/);
    expect(b.title).toMatch(CJK);
    expect(b.description.length).toBeGreaterThan(20);
    expect(b.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(b.schemaVersion).toBeLessThanOrEqual(defaultDashboard.schemaVersion);
    const site = b.templating.list.find((v) => v.name === "site");
    expect(site?.type).toBe("query");
    expect(site?.query).toBe(`SHOW TAG VALUES WITH KEY = "site"`);
    expect(site?.datasource?.uid).toBe(DATASOURCE.uid);
    const ids = b.panels.map((p) => p.id);
    expect(new Set(ids).size, "panel ids are unique").toBe(ids.length);
  });

  it.each(committed)("%s: panels fit the 24-column grid without overlapping", (_file, b) => {
    const cells = new Set<string>();
    for (const p of b.panels) {
      const g = p.gridPos;
      expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.y >= 0 && g.h > 0, `${p.title} gridPos ${JSON.stringify(g)}`).toBe(true);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it.each(allPanels)("%s: type, datasource, queries, unit, thresholds, colours", (_name, p) => {
    expect(PANEL_TYPES.has(p.type), p.type).toBe(true);
    expect(p.title).toMatch(CJK);
    expect(p.description?.length ?? 0, "an English description").toBeGreaterThan(20);
    expect(p.datasource?.uid).toBe(DATASOURCE.uid);
    expect(p.targets.length).toBeGreaterThan(0);
    expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
    for (const t of p.targets) {
      expect(t.refId).toMatch(/^[A-Z]$/);
      expect(t.rawQuery).toBe(true);
      expect(t.datasource?.uid).toBe(DATASOURCE.uid);
      expect(["time_series", "table"]).toContain(t.resultFormat);
    }
    const d = p.fieldConfig.defaults;
    expect(d.unit, "a number without a unit is a defect").toMatch(/\S/);
    expect(d.unit).not.toBe("none");
    expect(isUnit(d.unit), `a Grafana unit: ${d.unit}`).toBe(true);
    expect(d.thresholds?.mode).toBe("absolute");
    expect(d.thresholds?.steps[0]?.value, "thresholds start with a base step").toBeNull();
    for (const s of d.thresholds?.steps ?? []) expect(s.color).toMatch(/\S/);
    expect(["thresholds", "palette-classic", "fixed"]).toContain(d.color?.mode);
    for (const o of p.fieldConfig.overrides) for (const prop of o.properties) if (prop.id === "unit") expect(isUnit(prop.value), `a Grafana unit: ${String(prop.value)}`).toBe(true);
  });

  it.each(allPanels)("%s: names only measurements, tags and fields in docs/schema.md", (_name, p) => {
    const problems = p.targets.flatMap((t) => analyse(t.query, schema).problems.map((m) => `${t.refId}: ${m}`));
    expect(problems).toEqual([]);
  });

  it.each(committed.filter(([, b]) => b.annotations.list.some((a) => !a.builtIn)))("%s: annotation queries name only what docs/schema.md has", (_file, b) => {
    for (const a of b.annotations.list.filter((x) => !x.builtIn)) {
      expect(a.datasource?.uid).toBe(DATASOURCE.uid);
      expect(analyse(a.target?.query ?? "", schema).problems).toEqual([]);
    }
  });

  it("the charger board draws the 90 °C over-temperature limit on the temperature panel", () => {
    const chargers = committed.find(([f]) => f === "linli-chargers.json")?.[1];
    const temps = chargers?.panels.find((p) => p.fieldConfig.defaults.unit === "celsius") as (PanelJson & { fieldConfig: { defaults: { custom?: { thresholdsStyle?: { mode: string } } } } }) | undefined;
    expect(temps?.fieldConfig.defaults.thresholds?.steps.some((s) => s.value === 90 && s.color === "red")).toBe(true);
    expect(temps?.fieldConfig.defaults.custom?.thresholdsStyle?.mode).not.toBe("off");
  });
});

describe("the schema check itself", () => {
  it("rejects a measurement, a field or a tag that docs/schema.md does not have", () => {
    expect(analyse(`SELECT mean("power_w") AS "p" FROM "charger_port" WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY time($__interval), "charger"`, schema).problems).toEqual([]);
    expect(analyse(`SELECT mean("power_w") AS "p" FROM "charger_ports" WHERE $timeFilter`, schema).problems.join()).toMatch(/charger_ports/);
    expect(analyse(`SELECT mean("power_kw") AS "p" FROM "charger_port" WHERE $timeFilter`, schema).problems.join()).toMatch(/power_kw/);
    expect(analyse(`SELECT mean("power_w") AS "p" FROM "charger_port" WHERE $timeFilter GROUP BY "shed"`, schema).problems.join()).toMatch(/shed/);
    expect(analyse(`SELECT mean(power_kw) AS "p" FROM "charger_port" WHERE $timeFilter`, schema).problems.join()).toMatch(/power_kw/);
    // an alias does not launder a misspelt field inside its subquery
    expect(analyse(`SELECT sum("tmp") AS "t" FROM (SELECT max("tmp") AS "tmp" FROM "charger_port" WHERE $timeFilter)`, schema).problems.join()).toMatch(/"tmp" is neither/);
    expect(analyse(`SELECT mean("power_w") FROM "charger_port"`, schema).problems.join()).toMatch(/AS "name"/);
  });
});

describe("Grafana's expansion of a query", () => {
  const range = { from: Date.UTC(2026, 10, 27, 20), to: Date.UTC(2026, 10, 28, 20) };

  it("intervals: range over max data points, rounded as Grafana rounds, never below the min interval", () => {
    expect(roundInterval(86_400_000 / 1000)).toBe(60_000);
    expect(roundInterval(86_400_000 / 1800)).toBe(60_000);
    expect(roundInterval(7 * 86_400_000 / 1000)).toBe(600_000);
    expect(roundInterval(6 * 3_600_000 / 1000)).toBe(20_000);
    expect(calculateInterval(range, 1000)).toEqual({ intervalMs: 60_000, interval: "1m" });
    expect(calculateInterval(range, 1000, "1h")).toEqual({ intervalMs: 3_600_000, interval: "1h" });
    expect(formatInterval(90_000)).toBe("1m");
    expect(formatInterval(500)).toBe("500ms");
  });

  it("time ranges: the dashboard's, a panel's relative time, today so far", () => {
    const now = range.to;
    expect(relativeTime("now-24h", now)).toBe(range.from);
    expect(relativeTime("now/d", now)).toBe(Date.UTC(2026, 10, 28));
    expect(panelRange(now, { from: "now-24h", to: "now" }, { timeFrom: "7d" })).toEqual({ from: now - 7 * 86_400_000, to: now });
    expect(panelRange(now, { from: "now-24h", to: "now" }, { timeFrom: "now/d" })).toEqual({ from: Date.UTC(2026, 10, 28), to: now });
    expect(panelRange(now, { from: "now-24h", to: "now" }, { timeShift: "1d" })).toEqual({ from: range.from - 86_400_000, to: now - 86_400_000 });
  });

  it("variables in their Grafana forms, regex-escaped inside /.../ and when multi-valued", () => {
    const vars: Record<string, Variable> = { site: { value: "a.b" }, many: { value: ["x", "y.z"], multi: true } };
    expect(interpolate(`"site" = '$site'`, vars)).toBe(`"site" = 'a.b'`);
    expect(interpolate(`"site" =~ /^$site$/`, vars)).toBe(`"site" =~ /^a\\.b$/`);
    expect(interpolate(`"site" =~ /^\${site}$/ AND [[site]]`, vars)).toBe(`"site" =~ /^a\\.b$/ AND a.b`);
    expect(interpolate(`"site" =~ /^\${site:regex}$/`, vars)).toBe(`"site" =~ /^a\\.b$/`);
    expect(interpolate(`"s" =~ /^$many$/`, vars)).toBe(`"s" =~ /^(x|y\\.z)$/`);
    expect(interpolate(`$unknown stays`, vars)).toBe(`$unknown stays`);
  });

  it("macros as the backend builds them: $timeFilter, $__interval, $interval, $__interval_ms, $__from/$__to", () => {
    const q = expandQuery(`SELECT max("x") AS "x" FROM "m" WHERE "site" =~ /^$site$/ AND $timeFilter AND time > \${__to}ms - 5m GROUP BY time($__interval), time($interval) LIMIT $__interval_ms`, {
      range,
      maxDataPoints: 1000,
      minInterval: "10s",
      variables: { site: { value: "demo" } },
    });
    expect(q).toBe(
      `SELECT max("x") AS "x" FROM "m" WHERE "site" =~ /^demo$/ AND time >= ${range.from}ms and time <= ${range.to}ms AND time > ${range.to}ms - 5m GROUP BY time(1m), time(1m) LIMIT 60000`,
    );
  });
});

describe("provisioning", () => {
  const datasources = parseYaml(readFileSync(join(DIR, "provisioning/datasources/linli-influxdb.yaml"), "utf8")) as {
    apiVersion: number;
    datasources: Array<{ uid: string; type: string; url: string; access: string; jsonData: { version?: string; dbName?: string; timeInterval?: string } }>;
  };
  const providers = parseYaml(readFileSync(join(DIR, "provisioning/dashboards/linli.yaml"), "utf8")) as {
    apiVersion: number;
    providers: Array<{ type: string; options: { path: string } }>;
  };

  it("an InfluxQL datasource on InfluxDB 1.x at 127.0.0.1:8086, database linli, with the uid every panel uses", () => {
    expect(datasources.apiVersion).toBe(1);
    const ds = datasources.datasources.find((d) => d.uid === DATASOURCE.uid);
    expect(ds).toMatchObject({ type: "influxdb", url: "http://127.0.0.1:8086", access: "proxy", jsonData: { version: "InfluxQL", dbName: "linli" } });
    const uids = new Set(committed.flatMap(([, b]) => [...b.panels.flatMap((p) => [p.datasource?.uid, ...p.targets.map((t) => t.datasource?.uid)]), ...b.templating.list.filter((v) => v.type === "query").map((v) => v.datasource?.uid)]));
    expect([...uids]).toEqual([ds?.uid]);
  });

  it("a file provider whose path, with GF_PATHS_PROVISIONING pointed at dashboards/provisioning, is the boards' folder", () => {
    expect(providers.apiVersion).toBe(1);
    const p = providers.providers[0];
    expect(p?.type).toBe("file");
    const path = (p?.options.path ?? "").replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => ((a ?? b) === "GF_PATHS_PROVISIONING" ? join(DIR, "provisioning") : "<unset>"));
    expect(resolve(path)).toBe(DIR);
  });
});

/** The simulated day every panel is run against: it ends at 20:00 UTC today, the tests' "now". */
const NOW = (() => {
  const d = new Date();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 20);
})();
const SITE = "demo";

function intervalFor(p: PanelJson): string | undefined {
  return p.interval ?? "10s"; // the datasource's timeInterval (provisioning)
}

async function run(influx: Influxd, b: BoardJson, p: PanelJson, t: Target, site: string): Promise<{ query: string; series: Series[] }> {
  const range = panelRange(NOW, b.time, p);
  const query = expandQuery(t.query, {
    range,
    // Grafana asks for about one point per pixel of the panel's width (a 1920 px screen)
    maxDataPoints: p.maxDataPoints ?? Math.round((p.gridPos.w / 24) * 1800),
    ...(intervalFor(p) ? { minInterval: intervalFor(p) } : {}),
    variables: { site: { value: site }, gateway_url: { value: "http://127.0.0.1:8080" } },
  });
  expect(query, "every $variable and macro expanded").not.toMatch(/\$\w|\$\{|\[\[/);
  return { query, series: await influx.query("linli", query) };
}

const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);

describe("every panel against a simulated day in a real influxd", () => {
  let influx: Influxd;

  beforeAll(async () => {
    influx = await startInfluxd();
    const seeded = await seedDay({ url: influx.url, site: SITE, end: NOW, hours: 24, seed: 2, counts: { lift: 4, gate: 4, charger: 8, throw: 20 } });
    expect(seeded.points).toBeGreaterThan(100_000);
  }, 120_000);

  afterAll(async () => {
    await influx?.stop();
  });

  it("the site variable's query lists the simulated site", async () => {
    for (const [, b] of committed) {
      const v = b.templating.list.find((x) => x.name === "site");
      const series = await influx.query("linli", String(v?.query));
      expect(series.flatMap((s) => s.values.map((row) => row[1]))).toContain(SITE);
    }
  });

  it.each(allPanels)("%s: every query returns data of the panel's shape", async (_name, p, b) => {
    const table = p.type === "table";
    for (const t of p.targets) {
      const shape = analyse(t.query, schema);
      const { query, series } = await run(influx, b, p, t, SITE);
      expect(series.length, `no series from ${query}`).toBeGreaterThan(0);
      for (const s of series) {
        expect(s.columns, query).toEqual(["time", ...shape.columns]);
        expect(s.values.length, query).toBeGreaterThan(0);
        for (const tag of shape.groupTags) expect(s.tags?.[tag], `series tagged ${tag}: ${query}`).toBeTruthy();
      }
      if (shape.groupByTime) expect(Math.max(...series.map((s) => s.values.length)), `a time series, not one point: ${query}`).toBeGreaterThan(1);
      shape.columns.forEach((column, i) => {
        const values = series.flatMap((s) => s.values.map((row) => row[i + 1]));
        if (table) {
          expect(values.some((v) => v !== null), `column ${column} has values: ${query}`).toBe(true);
          if (values.some(isNumber) && p.fieldConfig.defaults.unit === "string") {
            const unit = p.fieldConfig.overrides.find((o) => o.matcher.id === "byName" && o.matcher.options === column)?.properties.find((x) => x.id === "unit");
            expect(unit?.value, `numeric column ${column} of a table needs a unit`).toMatch(/\S/);
          }
        } else {
          expect(values.some(isNumber), `column ${column} has numbers: ${query}`).toBe(true);
        }
      });
      // the site filter is really applied: another compound's board is empty
      const other = await run(influx, b, p, t, "elsewhere");
      expect(other.series.flatMap((s) => s.values.flatMap((row) => row.slice(1))).filter((v) => v !== null && v !== 0), other.query).toEqual([]);
    }
  });

  it("the recent throws table links every snapshot to its evidence page on the gateway console", async () => {
    const b = committed.find(([f]) => f === "linli-throws.json")?.[1];
    const p = b?.panels.find((x) => x.type === "table" && x.fieldConfig.overrides.some((o) => o.properties.some((prop) => prop.id === "links")));
    expect(p).toBeDefined();
    if (!b || !p) return;
    const override = p.fieldConfig.overrides.find((o) => o.properties.some((prop) => prop.id === "links"));
    const column = override?.matcher.options ?? "";
    const mapping = (override?.properties.find((x) => x.id === "mappings")?.value as Array<{ type: string; options: { pattern: string; result: { text: string } } }>)[0];
    const link = (override?.properties.find((x) => x.id === "links")?.value as Array<{ url: string }>)[0];
    expect(mapping?.type).toBe("regex");
    const { series } = await run(influx, b, p, p.targets[0]!, SITE);
    const i = series[0]?.columns.indexOf(column) ?? -1;
    const raws = (series[0]?.values ?? []).map((row) => String(row[i]));
    expect(raws.length).toBeGreaterThan(0);
    for (const raw of raws) {
      // Grafana's regex value mapping: the display text is the value with the pattern replaced
      const re = new RegExp(mapping?.options.pattern ?? "");
      expect(raw, "every snapshot matches the mapping").toMatch(re);
      const text = raw.replace(re, mapping?.options.result.text ?? "");
      const url = interpolate((link?.url ?? "").replace("${__value.text}", text), { gateway_url: { value: "http://127.0.0.1:8080" } });
      // the console serves /evidence/<id>; the evidence store's id is ev- + the SHA-256's first 20 hex digits
      expect(url).toBe(`http://127.0.0.1:8080/evidence/${evidenceId(raw.slice("sha256:".length))}`);
    }
  });

  it.each(committed.filter(([, b]) => b.annotations.list.some((a) => !a.builtIn)))("%s: annotation queries return events with their text and tag columns", async (_file, b) => {
    for (const a of b.annotations.list.filter((x) => !x.builtIn)) {
      const t = a.target;
      expect(t?.query).toBeTruthy();
      if (!t) continue;
      const { query, series } = await run(influx, b, { ...b.panels[0]!, timeFrom: undefined, interval: undefined } as PanelJson, t, SITE);
      expect(series.length, query).toBeGreaterThan(0);
      const s = series[0]!;
      for (const c of [t.textColumn ?? "", ...(t.tagsColumn ?? "").split(",")]) expect(s.columns, `annotation column ${c}`).toContain(c);
      expect(s.values.length).toBeGreaterThan(0);
    }
  });
});
