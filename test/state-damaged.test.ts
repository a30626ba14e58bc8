import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { connectAsync } from "mqtt";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsFeature } from "../gateway/alerts/feature.ts";
import { parseConfig } from "../gateway/config.ts";
import { Gateway } from "../gateway/gateway.ts";
import { throwEvent } from "./alerts-fixtures.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";

/** A spool with real rows, then cut off in the middle of its pages: what a full disk or a bad copy leaves. */
function truncatedSpool(file: string): void {
  const db = new Database(file);
  db.exec("CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, bytes INTEGER NOT NULL, point TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO spool (bytes, point) VALUES (?, ?)");
  for (let i = 0; i < 2_000; i++) insert.run(100, JSON.stringify({ measurement: "gate_pass", i, pad: "x".repeat(200) }));
  db.close();
  truncateSync(file, Math.floor(readFileSync(file).length / 2) + 123);
}

/** A sound frames database whose pages in the middle were overwritten: bit rot, or a bad sector. */
function rottenFrames(file: string): void {
  const db = new Database(file);
  db.exec("CREATE TABLE frames (id TEXT PRIMARY KEY, lift TEXT NOT NULL, note TEXT)");
  const insert = db.prepare("INSERT INTO frames VALUES (?, ?, ?)");
  for (let i = 0; i < 500; i++) insert.run(`f-${i}`, "L1", "y".repeat(300));
  db.close();
  const bytes = readFileSync(file);
  bytes.fill(0xa5, 4096 * 3, 4096 * 6);
  writeFileSync(file, bytes);
}

/** An evidence index written by something else: a table of that name with other columns. */
function wrongSchemaEvidence(file: string): void {
  const db = new Database(file);
  db.exec("CREATE TABLE evidence (key TEXT PRIMARY KEY, blob BLOB)");
  db.prepare("INSERT INTO evidence VALUES (?, ?)").run("k", Buffer.from("v"));
  db.close();
}

const lines: Array<Record<string, unknown>> = [];
const logStream = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

describe("damaged state files at start (real gateway, SQLite files damaged on disk)", () => {
  const dataDir = tempDir("damaged");
  let gateway: Gateway;
  let httpUrl = "";
  let brokerUrl = "";
  let restart: () => Promise<void>;

  beforeAll(async () => {
    mkdirSync(join(dataDir, "alerts"), { recursive: true });
    mkdirSync(join(dataDir, "evidence"), { recursive: true });
    mkdirSync(join(dataDir, "learning"), { recursive: true });
    rottenFrames(join(dataDir, "learning", "frames.db"));
    truncatedSpool(join(dataDir, "spool.db"));
    writeFileSync(join(dataDir, "alerts", "alerts.db"), Buffer.from("this is not an SQLite file, just garbage bytes \u0000\u00ff".repeat(200)));
    writeFileSync(join(dataDir, "alerts", "alerts.db-wal"), Buffer.from("garbage wal"));
    wrongSchemaEvidence(join(dataDir, "evidence", "index.db"));
    const brokerPort = await freePort();
    const httpPort = await freePort();
    brokerUrl = `mqtt://127.0.0.1:${brokerPort}`;
    httpUrl = `http://127.0.0.1:${httpPort}`;
    const config = parseConfig({
      dataDir,
      detector: { enabled: false },
      lift: { enabled: false },
      chargers: { enabled: false },
      alerts: { evidence: { fetch: false }, console: { enabled: false } },
      broker: { port: brokerPort },
      http: { port: httpPort },
      // nothing listens here: every point stays in the (fresh) spool
      influx: { url: `http://127.0.0.1:${await freePort()}`, flushIntervalMs: 100, retry: { minDelayMs: 100, maxDelayMs: 500 } },
    });
    gateway = await Gateway.start(config, { log: pino({ level: "info" }, logStream) });
    restart = async () => {
      await gateway.stop();
      gateway = await Gateway.start(config, { log: pino({ level: "info" }, logStream) });
    };
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const quarantined = () => lines.filter((l) => l.level === 50 && typeof l.store === "string");

  it("starts, and logs an error naming each damaged file, where it went and why", () => {
    const byStore = new Map(quarantined().map((l) => [l.store, l]));
    expect([...byStore.keys()].sort()).toEqual(["alerts", "evidence", "learning", "spool"]);
    expect(byStore.get("spool")).toMatchObject({ file: join(dataDir, "spool.db"), reason: expect.stringMatching(/malformed|quick_check|CORRUPT/i) });
    expect(byStore.get("alerts")).toMatchObject({ file: join(dataDir, "alerts", "alerts.db"), reason: expect.stringMatching(/SQLITE_NOTADB/) });
    expect(byStore.get("learning")).toMatchObject({ file: join(dataDir, "learning", "frames.db"), reason: expect.stringMatching(/quick_check|CORRUPT|malformed/i) });
    expect(byStore.get("evidence")).toMatchObject({ file: join(dataDir, "evidence", "index.db"), reason: "wrong schema: table evidence has no column id, sha256, mime, size, source, subject, created_at, file" });
    for (const l of byStore.values()) expect(String(l.movedTo)).toMatch(/\.corrupt-\d{8}T\d{6}Z$/);
  });

  it("moves each damaged file aside with a timestamp (with its -wal), keeping the bytes for a post-mortem", () => {
    const aside = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(`${name}.corrupt-`));
    expect(aside(dataDir, "spool.db")).toHaveLength(1);
    expect(aside(join(dataDir, "alerts"), "alerts.db")).toEqual(expect.arrayContaining([expect.stringMatching(/^alerts\.db\.corrupt-\d{8}T\d{6}Z$/), expect.stringMatching(/^alerts\.db\.corrupt-\d{8}T\d{6}Z-wal$/)]));
    const kept = aside(join(dataDir, "alerts"), "alerts.db").find((f) => /Z$/.test(f))!;
    expect(readFileSync(join(dataDir, "alerts", kept)).toString("latin1")).toMatch(/^this is not an SQLite file/);
    expect(aside(join(dataDir, "evidence"), "index.db")).toHaveLength(1);
    expect(aside(join(dataDir, "learning"), "frames.db")).toHaveLength(1);
    expect(existsSync(join(dataDir, "spool.db"))).toBe(true);
  });

  it("counts each quarantine on /metrics by store", async () => {
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    for (const store of ["spool", "alerts", "evidence", "learning"]) expect(metrics).toMatch(new RegExp(`linli_state_quarantined_total\\{[^}]*store="${store}"[^}]*\\} 1`));
  });

  it("tells staff: one state_quarantined alert per damaged store, stored in the fresh alerts database", () => {
    const alerts = (gateway.feature(alertsFeature)?.store?.unresolved() ?? []).filter((a) => a.type === "state_quarantined");
    expect(alerts.map((a) => a.place.device).sort()).toEqual(["alerts", "evidence", "learning", "spool"]);
    expect(alerts.find((a) => a.place.device === "alerts")?.summary).toMatch(/alerts\.db moved to .*\.corrupt-\d{8}T\d{6}Z: .*SQLITE_NOTADB/);
  });

  it("keeps going on fresh files: new points reach the spool, a new alert is stored, new evidence is kept", async () => {
    const device = await connectAsync(brokerUrl, { reconnectPeriod: 0 });
    try {
      await device.publishAsync("linli/demo/throw/throw-cam-01/event", JSON.stringify(throwEvent()), { qos: 1 });
      await waitFor("the throw spooled", async () => ((await (await fetch(`${httpUrl}/healthz`)).json()) as { spoolPoints: number }).spoolPoints > 0);
      const store = gateway.feature(alertsFeature)?.store;
      await waitFor("the throw alert stored", () => (store?.unresolved() ?? []).some((a) => a.type === "throw"), 5_000);
      const record = gateway.core.evidence.put(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), { source: "test", subject: "after-quarantine" });
      expect(gateway.core.evidence.get(record.id)?.subject).toBe("after-quarantine");
    } finally {
      await device.endAsync(true);
    }
  });

  it("a restart on the fresh files moves nothing aside: sound files are never quarantined, and what they hold is kept", async () => {
    const files = () => [dataDir, join(dataDir, "alerts"), join(dataDir, "evidence"), join(dataDir, "learning")].flatMap((d) => readdirSync(d).filter((f) => f.includes(".corrupt-")));
    const before = { logged: quarantined().length, aside: files().sort() };
    await restart();
    expect(quarantined()).toHaveLength(before.logged);
    expect(files().sort()).toEqual(before.aside);
    expect(gateway.metrics.totals.spoolPoints).toBeGreaterThan(0);
    expect((gateway.feature(alertsFeature)?.store?.unresolved() ?? []).some((a) => a.type === "throw")).toBe(true);
  });
});
