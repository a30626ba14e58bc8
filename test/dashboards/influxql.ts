/**
 * Reads the boards' InfluxQL against the measurement schema documented in docs/schema.md: which
 * measurements a query reads, whether every tag and field it names exists there, and which
 * columns and tags its result must have.
 */

export interface MeasurementDoc {
  tags: Set<string>;
  fields: Map<string, string>;
}

/** docs/schema.md -> measurement -> tags and fields (with their types) */
export function parseSchemaDoc(markdown: string): Map<string, MeasurementDoc> {
  const out = new Map<string, MeasurementDoc>();
  let current: MeasurementDoc | undefined;
  for (const line of markdown.split("\n")) {
    const heading = /^## `([^`]+)`/.exec(line);
    if (heading) {
      current = { tags: new Set(), fields: new Map() };
      out.set(heading[1] ?? "", current);
      continue;
    }
    if (!current) continue;
    const tags = /^Tags: (.*)$/.exec(line);
    if (tags) for (const m of (tags[1] ?? "").matchAll(/`([^`]+)`/g)) current.tags.add(m[1] ?? "");
    const field = /^\| `([^`]+)` \| (\w+) \|$/.exec(line);
    if (field) current.fields.set(field[1] ?? "", field[2] ?? "");
  }
  return out;
}

const KEYWORDS = new Set(
  [
    "select", "from", "where", "and", "or", "group", "by", "order", "desc", "asc", "limit", "slimit", "offset", "soffset", "as", "fill", "null", "none",
    "previous", "linear", "time", "now", "tz", "show", "tag", "values", "with", "key", "measurements", "field", "keys",
    "count", "sum", "mean", "median", "mode", "spread", "stddev", "max", "min", "first", "last", "percentile", "distinct", "integral",
    "derivative", "non_negative_derivative", "difference", "non_negative_difference", "cumulative_sum", "moving_average", "elapsed", "abs", "round",
  ],
);

/** A statement with its subqueries cut out (each replaced by `(#n)`), and those subqueries. */
interface Statement {
  text: string;
  subqueries: Statement[];
}

function split(query: string): Statement {
  const subqueries: Statement[] = [];
  let text = "";
  for (let i = 0; i < query.length; ) {
    if (query.startsWith("(SELECT", i)) {
      let depth = 0;
      let j = i;
      let quote: string | null = null;
      for (; j < query.length; j++) {
        const c = query[j];
        if (quote) {
          if (c === quote && query[j - 1] !== "\\") quote = null;
        } else if (c === "'" || c === '"') quote = c;
        else if (c === "(") depth++;
        else if (c === ")" && --depth === 0) break;
      }
      subqueries.push(split(query.slice(i + 1, j)));
      text += `(#${subqueries.length - 1})`;
      i = j + 1;
    } else {
      text += query[i];
      i++;
    }
  }
  return { text, subqueries };
}

/** strings, regex literals and duration/number literals out of the way */
function blank(text: string): string {
  return text
    .replace(/'(?:\\.|[^'\\])*'/g, "''")
    .replace(/([=!]~\s*)\/(?:\\.|[^/\\])*\//g, "$1//")
    .replace(/\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]/g, "0");
}

function topLevelSplit(text: string, sep = ","): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = "";
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    if (c === sep && depth === 0 && !quote) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export interface Analysis {
  /** every measurement the query reads, subqueries included */
  measurements: string[];
  /** each name that is not in docs/schema.md, and every other reason the query is malformed */
  problems: string[];
  /** the outer statement's result columns after `time` (its AS aliases) */
  columns: string[];
  /** the outer statement's GROUP BY tags */
  groupTags: string[];
  groupByTime: boolean;
}

interface Scope {
  measurements: string[];
  aliases: string[];
  tags: string[];
}

function analyseStatement(st: Statement, schema: Map<string, MeasurementDoc>, problems: string[]): Scope & { columns: string[]; groupTags: string[]; groupByTime: boolean } {
  const inner = st.subqueries.map((s) => analyseStatement(s, schema, problems));
  const text = blank(st.text);
  const sel = /^\s*SELECT\s+([\s\S]*?)\s+FROM\s+([\s\S]*?)(?:\s+WHERE\s+([\s\S]*?))?(?:\s+GROUP BY\s+([\s\S]*?))?(?:\s+ORDER BY[\s\S]*?)?(?:\s+LIMIT\s+\d+)?(?:\s+tz\(''\))?\s*$/i.exec(text);
  if (!sel) {
    problems.push(`not a SELECT ... FROM ... statement: ${st.text}`);
    return { measurements: [], aliases: [], tags: [], columns: [], groupTags: [], groupByTime: false };
  }
  const [, selectList = "", from = "", where = "", groupBy = ""] = sel;

  const measurements: string[] = [];
  for (const source of topLevelSplit(from)) {
    const m = /^"([^"]+)"$/.exec(source);
    if (m) {
      const name = m[1] ?? "";
      if (!schema.has(name)) problems.push(`measurement "${name}" is not in docs/schema.md`);
      measurements.push(name);
    } else if (!/^\(#\d+\)$/.test(source)) problems.push(`FROM must name a quoted measurement or a subquery: ${source}`);
  }

  const columns: string[] = [];
  const expressions: string[] = [];
  for (const item of topLevelSplit(selectList)) {
    const m = /^([\s\S]+?)\s+AS\s+"([^"]+)"$/i.exec(item);
    if (!m) {
      problems.push(`every selected expression needs AS "name": ${item}`);
      expressions.push(item);
      continue;
    }
    expressions.push(m[1] ?? "");
    columns.push(m[2] ?? "");
  }

  const groupTags: string[] = [];
  let groupByTime = false;
  for (const g of topLevelSplit(groupBy.replace(/\s+fill\([^)]*\)\s*$/i, ""))) {
    if (/^time\(/i.test(g)) groupByTime = true;
    else {
      const m = /^"([^"]+)"$/.exec(g);
      if (m) groupTags.push(m[1] ?? "");
      else problems.push(`GROUP BY a quoted tag or time(): ${g}`);
    }
  }

  // names this statement may use: a measurement's own tags and fields, or what its subqueries yield
  const known = new Set<string>();
  for (const name of measurements) {
    const doc = schema.get(name);
    for (const t of doc?.tags ?? []) known.add(t);
    for (const f of doc?.fields.keys() ?? []) known.add(f);
  }
  for (const s of inner) for (const n of [...s.aliases, ...s.tags]) known.add(n);
  const tags = new Set<string>(inner.flatMap((s) => s.tags));
  for (const name of measurements) for (const t of schema.get(name)?.tags ?? []) tags.add(t);
  for (const t of groupTags) if (!known.has(t)) problems.push(`GROUP BY "${t}": no such tag in ${measurements.join(", ") || "the subqueries"}`);

  for (const part of [...expressions, where]) {
    for (const m of part.matchAll(/"([^"]+)"/g)) {
      const name = m[1] ?? "";
      if (!known.has(name)) problems.push(`"${name}" is neither a tag nor a field of ${measurements.map((x) => `"${x}"`).join(", ") || "its subqueries"} in docs/schema.md`);
    }
    for (const m of part.replace(/"[^"]*"/g, " ").matchAll(/\b[A-Za-z_]\w*\b/g)) {
      if (!KEYWORDS.has(m[0].toLowerCase())) problems.push(`unquoted or unknown word "${m[0]}" (quote tags and fields: "name")`);
    }
  }
  return { measurements: [...measurements, ...inner.flatMap((s) => s.measurements)], aliases: columns, tags: [...tags], columns, groupTags, groupByTime };
}

export function analyse(query: string, schema: Map<string, MeasurementDoc>): Analysis {
  const problems: string[] = [];
  const top = analyseStatement(split(query.trim()), schema, problems);
  return { measurements: [...new Set(top.measurements)], problems, columns: top.columns, groupTags: top.groupTags, groupByTime: top.groupByTime };
}
