import { existsSync, readdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { HoldError } from "../evidence/holds.ts";
import { EvidenceStore } from "../evidence/store.ts";
import { AlertError } from "./engine.ts";
import { AlertHolds } from "./legal-hold.ts";
import { packageContents, verifyAlertPackage, writeAlertPackage } from "./package.ts";
import { AlertStore } from "./store.ts";

/** --data-dir, else the config's (--config, else ./linli.yaml, else the defaults). */
async function dataDirOf(opts: { config?: string; dataDir?: string }): Promise<string> {
  // imported here: the config module lists every feature, this one included
  const { loadConfig } = await import("../config.ts");
  return resolve(opts.dataDir ?? loadConfig(opts.config ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined)).dataDir);
}

interface StoreOptions {
  config?: string;
  dataDir?: string;
}

/** Runs `fn` with the gateway's alert and evidence stores (SQLite in WAL mode: the gateway may be running); a refusal is printed, exit 1. */
async function withStores(opts: StoreOptions, fn: (alerts: AlertStore, evidence: EvidenceStore) => void): Promise<void> {
  const dataDir = await dataDirOf(opts);
  const file = join(dataDir, "alerts", "alerts.db");
  if (!existsSync(file)) {
    console.error(`${file}: no alerts here`);
    process.exitCode = 1;
    return;
  }
  const alerts = new AlertStore(file);
  const evidence = new EvidenceStore(join(dataDir, "evidence"));
  try {
    fn(alerts, evidence);
  } catch (err) {
    if (!(err instanceof HoldError || err instanceof AlertError)) throw err;
    console.error(err.message);
    process.exitCode = 1;
  } finally {
    evidence.close();
    alerts.close();
  }
}

const storeOptions = (c: Command) => c.option("--config <file>", "linli.yaml").option("--data-dir <dir>", "the data dir (default: the config's)");

/** `linli alerts hold|release-hold|package|verify-package`: legal hold on an alert and its evidence package. */
export function registerLegalHoldCommands(program: Command): void {
  const alerts = program.command("alerts").description("alerts: legal hold and evidence packages (gateway/alerts)");
  // the shell's login is always recorded: a name given with --by is a claim, the login is a fact
  const operator = `cli:${userInfo().username}`;
  const who = (by: string | undefined) => (by ? `${by} via ${operator}` : operator);
  storeOptions(alerts.command("hold <alertId>").description("put an alert's evidence on legal hold: retention never deletes it"))
    .requiredOption("--reason <text>", "why (the police or court request)")
    .option("--by <name>", "who asks for the hold (recorded with the shell's login)")
    .action((alertId: string, opts: StoreOptions & { reason: string; by?: string }) =>
      withStores(opts, (store, evidence) => {
        const r = new AlertHolds(store, evidence).hold(alertId, who(opts.by), opts.reason);
        console.log(`held: ${alertId}, ${r.evidence.length} evidence files, hold record ${r.seq} (sha256 ${r.hash})`);
      }),
    );
  storeOptions(alerts.command("release-hold <alertId>").description("end an alert's legal hold (its evidence falls back under retention)"))
    .requiredOption("--reason <text>", "why (the court's release)")
    .option("--by <name>", "who releases it (recorded with the shell's login)")
    .action((alertId: string, opts: StoreOptions & { reason: string; by?: string }) =>
      withStores(opts, (store, evidence) => {
        const r = new AlertHolds(store, evidence).release(alertId, who(opts.by), opts.reason);
        console.log(`released: ${alertId}, hold record ${r.seq} (sha256 ${r.hash})`);
      }),
    );
  storeOptions(alerts.command("package <alertId> <dir>").description("export an alert's evidence package: evidence, alert, history, events, holds and a manifest of SHA-256s")).action(
    (alertId: string, dir: string, opts: StoreOptions) =>
      withStores(opts, (store, evidence) => {
        if (existsSync(dir) && readdirSync(dir).length > 0) throw new AlertError(409, `${dir} is not empty`);
        const alert = store.get(alertId);
        if (!alert) throw new AlertError(404, `no alert ${alertId}`);
        const m = writeAlertPackage(resolve(dir), packageContents(alert, store, evidence), evidence);
        console.log(`wrote ${m.files.length} files and manifest.json to ${dir}${m.hold ? `; on legal hold since record ${m.hold.seq}` : "; not on legal hold"}${m.absent.length ? `; ${m.absent.length} evidence files the gateway does not have` : ""}`);
      }),
  );
  alerts
    .command("verify-package <dir>")
    .description("check an alert's evidence package against its manifest (and, with --data-dir, against the gateway's hold chain)")
    .option("--data-dir <dir>", "also check the hold records against this gateway's hold chain")
    .action((dir: string, opts: { dataDir?: string }) => {
      let chain;
      if (opts.dataDir) {
        const evidence = new EvidenceStore(join(resolve(opts.dataDir), "evidence"));
        chain = evidence.holds.records();
        evidence.close();
      }
      const problems = verifyAlertPackage(resolve(dir), chain);
      for (const p of problems) console.error(p);
      if (problems.length > 0) process.exitCode = 1;
      else console.log("ok: every file matches the manifest");
    });
}
