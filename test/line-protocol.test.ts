import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../gateway/influx/isolate.ts";
import { LineProtocolEncoder, LineProtocolError } from "../gateway/influx/line-protocol.ts";
import { defineMeasurement, type Point } from "../gateway/influx/point.ts";
import { V1Sink } from "../gateway/influx/v1-sink.ts";
import { startInfluxd, type Influxd } from "./services/influxd.ts";

// Names as awkward as line protocol allows: each kind of character it escapes, in every place.
const odd = defineMeasurement({
  name: "lp test, odd",
  description: "escaping",
  tags: ["zone name", "a=b,c", "plain"],
  fields: { "note text": "string", "k=v": "integer", ratio: "float", open: "boolean" },
});
const DB = "lp";
const T0 = 1_764_300_000_000;

describe("line protocol, read back from a real influxd", () => {
  let influx: Influxd;
  let sink: V1Sink;

  beforeAll(async () => {
    influx = await startInfluxd();
    sink = new V1Sink({ url: influx.url, database: DB, timeoutMs: 5_000 }, [odd]);
    await sink.ensure();
  }, 60_000);
  afterAll(async () => {
    await influx?.stop();
  });

  const rows = async (where = "") => {
    const [series] = await influx.query(DB, `SELECT * FROM "lp test, odd"${where}`);
    return (series?.values ?? []).map((v) => Object.fromEntries(series!.columns.map((c, i) => [c, v[i]])));
  };

  it("stores spaces, commas, equals signs, quotes, backslashes and unicode as they were", async () => {
    const points: Point[] = [
      {
        measurement: odd.name,
        tags: { "zone name": "east gate, 2=3", "a=b,c": "东门 🚪", plain: "C:\\dir\\file" },
        fields: { "note text": 'say "hi" \\ to C:\\dir\\ and \\"x\\"', "k=v": 42, ratio: 0.25, open: true },
        ts: T0,
      },
      { measurement: odd.name, tags: { plain: "b" }, fields: { "note text": "", "k=v": -9_007_199_254_740_991, ratio: 3, open: false }, ts: T0 + 1, ns: 123_456 },
    ];
    await sink.write(points);
    expect(await rows()).toEqual([
      { time: T0, "zone name": "east gate, 2=3", "a=b,c": "东门 🚪", plain: "C:\\dir\\file", "note text": 'say "hi" \\ to C:\\dir\\ and \\"x\\"', "k=v": 42, ratio: 0.25, open: true },
      { time: T0 + 1, "zone name": null, "a=b,c": null, plain: "b", "note text": "", "k=v": -9_007_199_254_740_991, ratio: 3, open: false },
    ]);
    // an integer field is stored as one, and a float that happens to be whole stays a float
    const [keys] = await influx.query(DB, `SHOW FIELD KEYS FROM "lp test, odd"`);
    expect(Object.fromEntries(keys!.values as [string, string][])).toEqual({ "k=v": "integer", "note text": "string", open: "boolean", ratio: "float" });
  });

  it("refuses alone a point it cannot write as it is, and the others of its batch land", async () => {
    const good = (i: number, plain: string): Point => ({ measurement: odd.name, tags: { plain }, fields: { "k=v": i }, ts: T0 + 100 + i });
    const unwritable: Point[] = [
      { ...good(1, "line\nbreak") },
      { ...good(2, "ends in \\") },
      { ...good(3, "backslash\\ before a space") },
      { measurement: odd.name, tags: { plain: "ok" }, fields: { "note text": "two\nlines" }, ts: T0 + 104 },
    ];
    for (const p of unwritable) expect(() => new LineProtocolEncoder([odd]).line(p), JSON.stringify(p)).toThrow(LineProtocolError);
    const delivery = await deliver(sink, [good(10, "first"), ...unwritable, good(11, "last")]);
    expect(delivery.written).toBe(2);
    expect(delivery.refused).toEqual([{ reason: "unparsable", measurement: odd.name, field: undefined, points: 4, error: expect.stringContaining("cannot be written") }]);
    expect((await rows(` WHERE time >= ${T0 + 100}ms`)).map((r) => r.plain)).toEqual(["first", "last"]);
  });

  it("refuses a value of the wrong type for its declared field, and an undeclared tag or field", () => {
    const encoder = new LineProtocolEncoder([odd]);
    const base = { measurement: odd.name, tags: {}, ts: T0 };
    expect(() => encoder.line({ ...base, fields: { "k=v": 1.5 } })).toThrow("field k=v: expected integer, got 1.5");
    expect(() => encoder.line({ ...base, fields: { open: "yes" } })).toThrow("field open: expected boolean");
    expect(() => encoder.line({ ...base, fields: { other: 1 } })).toThrow("undeclared field other");
    expect(() => encoder.line({ ...base, tags: { zone: "x" }, fields: { ratio: 1 } })).toThrow("undeclared tag zone");
    expect(() => encoder.line({ ...base, fields: {} })).toThrow("no fields");
    expect(encoder.line({ ...base, tags: { plain: "a b", "zone name": "" }, fields: { "k=v": 7, ratio: 1e-7 } })).toBe("lp\\ test\\,\\ odd,plain=a\\ b k\\=v=7i,ratio=1e-7 1764300000000000000");
  });
});
