/**
 * Ingest side by side (not a test: it prints figures, it asserts nothing).
 *
 * The same load generator (bench/ingest-load.ts, its own process: QoS 1, 4 connections, 1000 in
 * flight) against, one after the other:
 *   ceiling          aedes with an in-process consumer doing JSON.parse only (bench/ingest-ceiling.ts)
 *   linli-influxd    linli (embedded aedes) into a real influxd 1.x
 *   linli-victoria   linli into victoria-metrics through the 2.x write path (influx.version 2)
 *   linli-mosquitto  linli behind an external mosquitto (broker.mode external), into influxd
 *   node-red         Node-RED 4 + node-red-contrib-influxdb (npm-installed into the scratch folder),
 *                    mqtt in -> json -> function -> influxdb out, behind mosquitto, into influxd
 * for gate events (1 point per message) and 10-port charger telemetry (10 points per message).
 *
 * A run is timed from the first publish to the moment the last point is counted back from the
 * database (the ceiling: the last message parsed). Points not visible once the count has stopped
 * growing for 15 s are lost; counting stops after --max-seconds (then the rest is "not counted", not
 * lost, and the publisher is stopped). CPU is each process's utime+stime (/proc, 10 ms ticks) over
 * that span, the database's apart; RSS is sampled every 250 ms, its peak kept per minute (printed
 * for runs of 2 minutes or more); the publish-to-visible delay is timed
 * on marker messages (every 1/50 of the load) by polling the database for them without pause (a
 * query, then 10 ms); victoria-metrics is flushed before each count, so its own few seconds before
 * new samples become searchable are not in its figures.
 *
 *   npm run bench:ingest -- [--messages 40000] [--only gate|charger] [--systems ceiling,linli-influxd,...] [--sync full|normal] [--batch 1000] [--profile DIR] [--node=FLAGS] [--max-seconds 180]
 *   (--batch: linli's influx.batchSize, the points of one write to the database)
 *   (--profile: each linli process writes a V8 CPU profile, `node --cpu-prof`, into DIR)
 *   (--node="FLAGS": extra flags for each linli process's node, e.g. --node="--max-semi-space-size=4")
 *   (charger runs send a quarter of --messages: each carries 10 points)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startInfluxd, type Influxd } from "../test/services/influxd.ts";
import { startMosquitto, type Mosquitto } from "../test/services/mosquitto.ts";
import { freePort, waitFor } from "../test/services/ports.ts";
import { startProcess, type Running } from "../test/services/process.ts";
import { startVictoria, type Victoria } from "../test/services/victoria.ts";

const SYSTEMS = ["ceiling", "linli-influxd", "linli-victoria", "linli-mosquitto", "node-red"] as const;
type System = (typeof SYSTEMS)[number];
type Kind = "gate" | "charger";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "40000" },
    only: { type: "string" },
    systems: { type: "string", default: SYSTEMS.join(",") },
    sync: { type: "string", default: "full" },
    profile: { type: "string" },
    batch: { type: "string", default: "1000" },
    node: { type: "string", default: "" },
    "max-seconds": { type: "string", default: "180" },
  },
});
const MESSAGES = Number(args.messages);
const kinds: Kind[] = args.only === "gate" || args.only === "charger" ? [args.only] : ["gate", "charger"];
const systems = args.systems.split(",").map((s) => s.trim()) as System[];
for (const s of systems) if (!SYSTEMS.includes(s)) throw new Error(`unknown system ${s}; known: ${SYSTEMS.join(", ")}`);
if (args.sync !== "full" && args.sync !== "normal") throw new Error("--sync is full or normal");
const SYNC = args.sync;
/** linli's influx.batchSize: points per write to the database */
const BATCH = Number(args.batch);
if (!Number.isInteger(BATCH) || BATCH < 1) throw new Error("--batch is a whole number of points");
const MAX_MS = Number(args["max-seconds"]) * 1000;
if (!(MAX_MS > 0)) throw new Error("--max-seconds is a positive number");
const MARKERS = 50;
/** what is not visible after this long without growth, once the publisher is done, is lost */
const STALL_MS = 15_000;
const repoRoot = path.resolve(import.meta.dirname, "..");

const KIND = {
  gate: { messages: MESSAGES, points: 1, measurement: "gate_pass", field: "count", tag: "gate" },
  charger: { messages: Math.floor(MESSAGES / 4), points: 10, measurement: "charger_port", field: "energy_wh", tag: "charger" },
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};

// Everything the bench writes (server dirs, spools, Node-RED) lives under one folder, removed at the end.
const scratch = mkdtempSync(path.join(os.tmpdir(), "linli-bench-ingest-"));
chmodSync(scratch, 0o755); // mosquitto, started as root, drops to its own user before it opens its files
process.env.TMPDIR = scratch;
const cleanups: Array<() => Promise<void>> = [async () => rmSync(scratch, { recursive: true, force: true })];
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => console.error(`cleanup: ${String(e)}`));
}
process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;
/** utime + stime of one process, in microseconds */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}
/** The pid of this process's child started as `binary` (the test services keep their ChildProcess to themselves). */
function childPid(binary: string): number {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      const argv0 = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0")[0]!;
      if (ppid === process.pid && path.basename(argv0) === binary) return Number(d);
    } catch {
      // a process that ended while we looked
    }
  }
  throw new Error(`no child ${binary} of this process`);
}

/** What a run needs from a system: where to publish, whose CPU counts, and how to count back. */
interface Target {
  mqttUrl: string;
  pids: number[];
  dbPid?: number;
  /** points of this run visible in the database */
  points(): Promise<number>;
  /** marker messages of this run visible in the database */
  markers(): Promise<number>;
  /** when the system itself knows the moment its last message was taken (the ceiling), more exact than a poll */
  finishedAt?: () => number | undefined;
  /** the system's recent log, where it says why it lost messages */
  log?: () => string;
  stop(): Promise<void>;
}

interface Row {
  system: System;
  kind: Kind;
  sent: number;
  visible: number;
  seconds: number;
  cpuUs: number;
  dbCpuUs?: number;
  /** peak RSS in each minute since the first publish (samples before it count in the first) */
  rssByMinute: number[];
  /** counting stopped at --max-seconds before every point was visible */
  capped: boolean;
  delays: number[];
}

/** Drives the load generator at a target and measures it. */
async function measure(system: System, kind: Kind, t: Target): Promise<Row> {
  const k = KIND[kind];
  const expected = k.messages * k.points;
  const cpu0 = t.pids.map(cpuMicros);
  const db0 = t.dbPid === undefined ? 0 : cpuMicros(t.dbPid);
  const site = siteOf(system, kind);
  const load: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench/ingest-load.ts"), t.mqttUrl, site, kind, String(k.messages), String(MARKERS)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const published: number[] = [];
  let startedAt = Number.NaN;
  let loadDoneAt = Number.NaN;
  createInterface({ input: load.stdout! }).on("line", (line) => {
    const [tag, a, b] = line.split(" ");
    if (tag === "M") published[Number(a)] = Number(b);
    else if (tag === "S") startedAt = Number(a);
  });
  const exited = new Promise<void>((resolve, reject) =>
    load.on("exit", (code) => {
      loadDoneAt = Date.now();
      if (code === 0) resolve();
      else reject(new Error(`load generator exited ${code}`));
    }),
  );
  exited.catch(() => {}); // awaited below; a failure must not be an unhandled rejection meanwhile

  const visibleAt: number[] = [];
  const rssByMinute: number[] = [];
  let capped = false;
  let visible = 0;
  let grewAt = Date.now();
  let endedAt = Number.NaN;
  let cpu1 = cpu0;
  let db1 = db0;
  for (let i = 0; ; i++) {
    const now = Date.now();
    const m = await t.markers();
    for (let j = visibleAt.length; j < m; j++) visibleAt[j] = now;
    if (i % 5 === 0) {
      const r = t.pids.reduce((s, p) => s + rssBytes(p), 0);
      const minute = Number.isFinite(startedAt) ? Math.floor((now - startedAt) / 60_000) : 0;
      rssByMinute[minute] = Math.max(rssByMinute[minute] ?? 0, r);
      const v = await t.points();
      if (v > visible) {
        visible = v;
        grewAt = now;
        // the span ends at the last growth: what is counted later (a stall) is no one's throughput
        endedAt = now;
        cpu1 = t.pids.map(cpuMicros);
        db1 = t.dbPid === undefined ? 0 : cpuMicros(t.dbPid);
      }
      if (visible >= expected) break;
      // behind an external broker the publisher is done long before linli is (the broker queues)
      if (now - Math.max(grewAt, loadDoneAt) > STALL_MS) break;
      if (now - startedAt > MAX_MS) {
        capped = true;
        break;
      }
    }
    await sleep(10);
  }
  if (capped && Number.isNaN(loadDoneAt)) {
    load.kill();
    await new Promise((r) => load.once("exit", r));
  } else await exited;
  const delays = visibleAt.flatMap((at, j) => (published[j] === undefined ? [] : [at - published[j]!]));
  return {
    system,
    kind,
    sent: k.messages,
    visible: Math.floor(visible / k.points),
    seconds: ((t.finishedAt?.() ?? endedAt) - startedAt) / 1000,
    cpuUs: cpu1.reduce((s, c, i) => s + c - cpu0[i]!, 0),
    ...(t.dbPid === undefined ? {} : { dbCpuUs: db1 - db0 }),
    rssByMinute,
    capped,
    delays,
  };
}

const siteOf = (system: System, kind: Kind) => `${system}-${kind}`;
const dbOf = (system: System) => `bench_${system.replace(/-/g, "_")}`;

// ---- the systems ----

/** lines printed under the table: versions, skipped systems */
const notes: string[] = [];

async function ceiling(kind: Kind): Promise<Target> {
  const total = KIND[kind].messages;
  const p = startProcess(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench/ingest-ceiling.ts"), String(total)]);
  let port = 0;
  let parsedMarkers = 0;
  let doneAt: number | undefined;
  createInterface({ input: p.child.stdout! }).on("line", (line) => {
    const [tag, a] = line.split(" ");
    if (tag === "L") port = Number(a);
    else if (tag === "M") parsedMarkers = Number(a) + 1;
    else if (tag === "D") doneAt = Number(a);
  });
  await waitFor("the ceiling broker", () => port > 0, 30_000);
  return {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    pids: [p.child.pid!],
    points: async () => (doneAt === undefined ? 0 : total * KIND[kind].points),
    markers: async () => parsedMarkers,
    finishedAt: () => doneAt,
    stop: () => p.stop("SIGTERM"),
  };
}

/**
 * linli as its users run it: `node bin/linli.js start` with a config file, once /healthz answers.
 * `broker` is the external broker's URL, or undefined for the embedded one on a free port.
 */
async function linli(system: System, kind: Kind, broker: string | undefined, influxLine: string): Promise<{ proc: Running; mqttUrl: string }> {
  const dir = mkdtempSync(path.join(scratch, `${system}-${kind}-`));
  const config = path.join(dir, "linli.yaml");
  // a free port can be taken by another process before linli binds it (the machine is shared): a new pair, then
  for (let attempt = 1; ; attempt++) {
    const httpPort = await freePort();
    const brokerPort = await freePort();
    writeFileSync(
      config,
      [
        `site: ${siteOf(system, kind)}`,
        `dataDir: ${path.join(dir, "data")}`,
        "logLevel: warn",
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
        // ingest only: the features that need cameras, models or controllers stay off, as in bench:ack
        "detector: { enabled: false }",
        "lift: { enabled: false }",
        "alerts: { enabled: false }",
        "learning: { enabled: false }",
        "chargers: { enabled: false }",
        broker ? `broker: { mode: external, url: "${broker}", clientId: bench-${kind} }` : `broker: { port: ${brokerPort} }`,
        influxLine,
      ].join("\n") + "\n",
    );
    const profile = args.profile ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(args.profile)] : [];
    const nodeFlags = args.node.split(/\s+/).filter(Boolean);
    const proc = startProcess(process.execPath, [...nodeFlags, ...profile, path.join(repoRoot, "bin/linli.js"), "start", "--config", config]);
    const exited = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
    await waitFor("linli's /healthz", async () => exited() || (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok, 60_000).catch(async (e: Error) => {
      await proc.stop();
      throw new Error(`${e.message}\n${proc.output()}`);
    });
    if (!exited()) return { proc, mqttUrl: broker ?? `mqtt://127.0.0.1:${brokerPort}` };
    if (attempt === 3 || !proc.output().includes("EADDRINUSE")) throw new Error(`linli did not start:\n${proc.output()}`);
  }
}

/** Counting back from influxd: every point of a site's measurement, and those of its marker device. */
function influxCounts(influx: Influxd, db: string, system: System, kind: Kind): Pick<Target, "points" | "markers"> {
  const k = KIND[kind];
  const count = async (where: string) => {
    const series = await influx.query(db, `SELECT count("${k.field}") FROM "${k.measurement}" WHERE site = '${siteOf(system, kind)}'${where}`).catch(() => []);
    return Number(series[0]?.values[0]?.[1] ?? 0);
  };
  return { points: () => count(""), markers: async () => Math.floor((await count(` AND "${k.tag}" = 'bench-marker'`)) / k.points) };
}

function victoriaCounts(vm: Victoria, system: System, kind: Kind): Pick<Target, "points" | "markers"> {
  const k = KIND[kind];
  const count = async (extra: string) => {
    // nocache: the rollup cache would answer from before the newest samples
    const q = `sum(count_over_time(${k.measurement}_${k.field}{site="${siteOf(system, kind)}"${extra}}[1d]))`;
    const res = await fetch(`${vm.url}/api/v1/query?nocache=1&query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
    return Number(body.data?.result?.[0]?.value[1] ?? 0);
  };
  return {
    // victoria makes new samples searchable only after a few seconds: a flush first, so that the
    // figures are linli's delivery and not that lag (which a dashboard on victoria would add)
    points: async () => {
      await fetch(`${vm.url}/internal/force_flush`);
      return count("");
    },
    markers: async () => Math.floor((await count(`,${k.tag}="bench-marker"`)) / k.points),
  };
}

/** Node-RED 4 with node-red-contrib-influxdb from npm, into the scratch folder; undefined (and why) when npm cannot. */
function installNodeRed(): { redJs: string } | { error: string } {
  const prefix = path.join(scratch, "node-red");
  mkdirSync(prefix);
  const r = spawnSync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel", "error", "node-red@4", "node-red-contrib-influxdb"], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) return { error: `npm install failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-3).join(" | ")}` };
  const version = (pkg: string) => (JSON.parse(readFileSync(path.join(prefix, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  notes.push(`node-red ${version("node-red")}, node-red-contrib-influxdb ${version("node-red-contrib-influxdb")} (npm, into the scratch folder)`);
  return { redJs: path.join(prefix, "node_modules/node-red/red.js") };
}

/** The flow a Node-RED user would draw: mqtt in -> json -> function (to linli's measurement, tags and fields) -> influxdb out. */
function nodeRedFlow(mqttPort: number, influxPort: number, kindsHere: Kind[]): unknown[] {
  const toPoints: Record<Kind, string> = {
    gate: `const d = msg.payload;
msg.payload = [[{ time: d.ts, event_id: d.eventId, subject: d.personId ?? d.plate, confidence: d.confidence, count: 1 },
  { site: "${siteOf("node-red", "gate")}", gate: msg.topic.split("/")[3], method: d.method, direction: d.direction, granted: String(d.granted) }]];
return msg;`,
    charger: `const d = msg.payload;
const charger = msg.topic.split("/")[3];
msg.payload = d.ports.map((p) => [{ time: d.ts, state: p.state, charging: p.state === "charging" ? 1 : 0, voltage_v: p.voltageV, current_a: p.currentA, power_w: p.powerW, energy_wh: p.energyWh, temp_c: p.tempC },
  { site: "${siteOf("node-red", "charger")}", charger, port: String(p.port) }]);
return msg;`,
  };
  return [
    { id: "tab", type: "tab", label: "bench" },
    { id: "broker", type: "mqtt-broker", name: "mosquitto", broker: "127.0.0.1", port: String(mqttPort), clientid: "bench-node-red", autoConnect: true, usetls: false, protocolVersion: "4", keepalive: "60", cleansession: true },
    { id: "influx", type: "influxdb", hostname: "127.0.0.1", port: String(influxPort), protocol: "http", database: dbOf("node-red"), name: "influxd", usetls: false, influxdbVersion: "1.x" },
    ...kindsHere.flatMap((kind) => [
      { id: `in-${kind}`, type: "mqtt in", z: "tab", topic: `linli/${siteOf("node-red", kind)}/${kind}/+/${kind === "gate" ? "event" : "telemetry"}`, qos: "1", datatype: "utf8", broker: "broker", nl: false, rap: false, inputs: 0, wires: [[`json-${kind}`]] },
      { id: `json-${kind}`, type: "json", z: "tab", property: "payload", action: "", pretty: false, wires: [[`fn-${kind}`]] },
      { id: `fn-${kind}`, type: "function", z: "tab", func: toPoints[kind], outputs: 1, wires: [[`out-${kind}`]] },
      { id: `out-${kind}`, type: "influxdb out", z: "tab", influxdb: "influx", measurement: KIND[kind].measurement, precision: "ms", retentionPolicy: "", wires: [] },
    ]),
  ];
}

async function startNodeRed(redJs: string, mosquitto: Mosquitto, influx: Influxd): Promise<Running> {
  const userDir = path.join(scratch, "node-red-user");
  mkdirSync(userDir);
  const port = await freePort();
  writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(nodeRedFlow(mosquitto.port, Number(new URL(influx.url).port), kinds)));
  writeFileSync(path.join(userDir, "settings.js"), `module.exports = { uiHost: "127.0.0.1", uiPort: ${port}, flowFile: "flows.json", logging: { console: { level: "info" } } };\n`);
  // the influxdb out node writes into an existing database
  await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${dbOf("node-red")}`)}`, { method: "POST" });
  const p = startProcess(process.execPath, [redJs, "--userDir", userDir, "--settings", path.join(userDir, "settings.js")]);
  await waitFor("Node-RED connected to mosquitto", () => {
    if (p.child.exitCode !== null) throw new Error(`node-red exited ${p.child.exitCode}`);
    return p.output().includes("Connected to broker");
  }, 120_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${p.output()}`);
  });
  await sleep(500); // the subscription follows the connection
  return p;
}

// ---- the run ----

const rows: Row[] = [];
try {
  let redJs: string | undefined;
  if (systems.includes("node-red")) {
    const installed = installNodeRed();
    if ("error" in installed) notes.push(`node-red skipped: ${installed.error}`);
    else redJs = installed.redJs;
  }
  const needsInflux = systems.some((s) => s === "linli-influxd" || s === "linli-mosquitto" || (s === "node-red" && redJs));
  const influx = needsInflux ? await startInfluxd() : undefined;
  if (influx) cleanups.push(() => influx.stop());
  const influxPid = influx ? childPid("influxd") : undefined;
  const victoria = systems.includes("linli-victoria") ? await startVictoria() : undefined;
  if (victoria) cleanups.push(() => victoria.stop());
  const victoriaPid = victoria ? childPid("victoria-metrics") : undefined;
  const mosquitto = systems.some((s) => s === "linli-mosquitto" || (s === "node-red" && redJs)) ? await startMosquitto() : undefined;
  if (mosquitto) cleanups.push(() => mosquitto.stop());
  const mosquittoPid = mosquitto ? childPid("mosquitto") : undefined;
  let nodeRed: Running | undefined;
  if (redJs && influx && mosquitto) {
    nodeRed = await startNodeRed(redJs, mosquitto, influx);
    const nr = nodeRed;
    cleanups.push(() => nr.stop("SIGTERM"));
  }

  for (const kind of kinds) {
    for (const system of systems) {
      let target: Target;
      if (system === "ceiling") target = await ceiling(kind);
      else if (system === "linli-influxd" || system === "linli-mosquitto") {
        const external = system === "linli-mosquitto";
        const { proc, mqttUrl } = await linli(system, kind, external ? mosquitto!.url : undefined, `influx: { url: "${influx!.url}", database: ${dbOf(system)}, spool: { sync: ${SYNC} }, batchSize: ${BATCH} }`);
        target = {
          mqttUrl,
          pids: external ? [proc.child.pid!, mosquittoPid!] : [proc.child.pid!],
          dbPid: influxPid!,
          ...influxCounts(influx!, dbOf(system), system, kind),
          stop: () => proc.stop("SIGTERM"),
          log: () => proc.output(),
        };
      } else if (system === "linli-victoria") {
        const { proc, mqttUrl } = await linli(system, kind, undefined, `influx: { version: 2, url: "${victoria!.url}", org: linli, bucket: linli, token: unused, spool: { sync: ${SYNC} }, batchSize: ${BATCH} }`);
        target = { mqttUrl, pids: [proc.child.pid!], dbPid: victoriaPid!, ...victoriaCounts(victoria!, system, kind), stop: () => proc.stop("SIGTERM"), log: () => proc.output() };
      } else {
        if (!nodeRed) continue;
        target = { mqttUrl: mosquitto!.url, pids: [nodeRed.child.pid!, mosquittoPid!], dbPid: influxPid!, ...influxCounts(influx!, dbOf(system), system, kind), stop: async () => {}, log: () => nodeRed!.output() };
      }
      try {
        const row = await measure(system, kind, target);
        rows.push(row);
        console.error(`${kind} ${system}: ${Math.round(row.visible / row.seconds)} msg/s, ${row.sent - row.visible} ${row.capped ? "not counted (capped)" : "lost"}`);
        // why a system lost messages is in its log, if anywhere
        const lastError = row.sent > row.visible && !row.capped ? target.log?.().split("\n").filter((l) => /error|warn/i.test(l)).at(-1) : undefined;
        if (lastError) notes.push(`${system}, ${kind}, the last error it logged: ${lastError.trim().slice(0, 300)}`);
      } finally {
        await target.stop();
      }
    }
  }
} finally {
  await cleanup();
}

// ---- the table ----

const mb = (b: number) => `${Math.round(b / 2 ** 20)}`;
console.log(
  `\nbench:ingest, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, load ${os.loadavg()[0]?.toFixed(1)} at the end; ` +
    `QoS 1, 4 connections, 1000 in flight; influx.spool.sync ${SYNC}, influx.batchSize ${BATCH}; influxd ${spawnSync("influxd", ["version"], { encoding: "utf8" }).stdout.trim().split(" ")[1] ?? "?"}, ` +
    `${spawnSync("mosquitto", ["-h"], { encoding: "utf8" }).stdout.split("\n")[0]}`,
);
for (const kind of kinds) {
  const k = KIND[kind];
  const here = rows.filter((r) => r.kind === kind);
  if (here.length === 0) continue;
  console.log(`\n${kind === "gate" ? "gate events" : "10-port charger telemetry"}: ${k.messages} messages, ${k.points} point${k.points > 1 ? "s" : ""} each`);
  console.log("| system | msg/s | points/s | lost | CPU us/msg (system) | CPU us/msg (database) | peak RSS MB | delay p50 / p99 ms |\n| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of here) {
    const rate = r.visible / r.seconds;
    console.log(
      `| ${r.system} | ${Math.round(rate)} | ${Math.round(rate * k.points)} | ${r.capped ? "- (capped)" : r.sent - r.visible} | ${(r.cpuUs / r.visible).toFixed(0)} | ${r.dbCpuUs === undefined ? "-" : (r.dbCpuUs / r.visible).toFixed(0)} | ${mb(Math.max(...r.rssByMinute.filter((b) => b !== undefined)))} | ${pct(r.delays, 50)} / ${pct(r.delays, 99)} |`,
    );
  }
  const rate = (s: System) => {
    const r = here.find((x) => x.system === s);
    return r ? r.visible / r.seconds : undefined;
  };
  const l = rate("linli-influxd");
  const c = rate("ceiling");
  const n = rate("node-red");
  for (const r of here) {
    if (r.capped) console.log(`${r.system}: counting stopped at --max-seconds ${MAX_MS / 1000} with ${r.sent - r.visible} messages not yet counted (not lost)`);
    if (r.rssByMinute.length >= 2) console.log(`${r.system}: peak RSS by minute, MB: ${Array.from(r.rssByMinute, (b) => (b === undefined ? "-" : mb(b))).join(" ")}`);
  }
  if (l !== undefined && c !== undefined) console.log(`linli/ceiling ${(l / c).toFixed(2)}`);
  if (l !== undefined && n !== undefined) console.log(`linli/Node-RED ${(l / n).toFixed(2)}`);
}
for (const n of notes) console.log(n);
