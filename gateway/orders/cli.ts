import { existsSync, readdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { EvidenceStore } from "../evidence/store.ts";
import { verifyChain } from "./chain.ts";
import { ordersConfigSchema } from "./config.ts";
import { moveOldHolds, orderSubject } from "./held.ts";
import { verifyPackage, writePackage } from "./package.ts";
import { OrderStore } from "./store.ts";
import { OrderError, OrderWorkflow } from "./workflow.ts";

/** --data-dir, else the config's (--config, else ./linli.yaml, else the defaults). */
async function dataDirOf(opts: { config?: string; dataDir?: string }): Promise<string> {
  // imported here: the config module lists every feature, this one included
  const { loadConfig } = await import("../config.ts");
  return resolve(opts.dataDir ?? loadConfig(opts.config ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined)).dataDir);
}

/** The data dir's work order store; undefined (said, exit code 1) when it has none. */
function openStore(dataDir: string): OrderStore | undefined {
  const file = join(dataDir, "orders", "orders.db");
  if (existsSync(file)) return new OrderStore(file);
  console.error(`${file}: no work orders here`);
  process.exitCode = 1;
  return undefined;
}

/** `linli orders verify`: checks the work order record chain; exits 1 naming the first broken record. */
export function registerOrderCommands(program: Command): void {
  const orders = program.command("orders").description("work orders (gateway/orders)");
  orders
    .command("verify")
    .description("check that no work order record (signatures included) was changed or deleted")
    .option("--config <file>", "linli.yaml")
    .option("--data-dir <dir>", "the data dir (default: the config's)")
    .action(async (opts: { config?: string; dataDir?: string }) => {
      const dataDir = await dataDirOf(opts);
      const store = openStore(dataDir);
      if (!store) return;
      try {
        let count = 0;
        const counted = (function* (records) {
          for (const r of records) {
            count++;
            yield r;
          }
        })(store.records());
        const broken = verifyChain(counted, store.heads());
        if (broken) {
          console.error(`broken: record ${broken.seq} (work order ${broken.orderId}) ${broken.problem}`);
          process.exitCode = 1;
          return;
        }
        console.log(`ok: ${count} records of ${store.heads().length} work orders, chain intact`);
      } finally {
        store.close();
      }
    });
  orders
    .command("package <orderId>")
    .description("export a work order's evidence package: evidence, order, history and a manifest of SHA-256s")
    .requiredOption("--out <dir>", "an empty or new folder")
    .option("--config <file>", "linli.yaml")
    .option("--data-dir <dir>", "the data dir (default: the config's)")
    .action(async (orderId: string, opts: { out: string; config?: string; dataDir?: string }) => {
      const dataDir = await dataDirOf(opts);
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0) {
        console.error(`${opts.out} is not empty`);
        process.exitCode = 1;
        return;
      }
      const store = openStore(dataDir);
      if (!store) return;
      const evidence = new EvidenceStore(join(dataDir, "evidence"));
      try {
        const order = store.get(orderId);
        if (!order) {
          console.error(`no work order ${orderId}`);
          process.exitCode = 1;
          return;
        }
        // a data dir the gateway has not run on since holds moved into the evidence store
        moveOldHolds(join(dataDir, "orders", "held"), [order], evidence);
        const manifest = writePackage(resolve(opts.out), order, store.history(orderId), evidence);
        console.log(`wrote ${manifest.files.length} files and manifest.json to ${opts.out}`);
      } finally {
        evidence.close();
        store.close();
      }
    });
  orders
    .command("release-hold <orderId>")
    .description("end a work order's legal hold (its evidence falls back under retention); recorded in the hold chain and the order's history")
    .requiredOption("--reason <text>", "why (the court's or the police's release)")
    .option("--by <name>", "who releases it (recorded with the shell's login)")
    .option("--config <file>", "linli.yaml")
    .option("--data-dir <dir>", "the data dir (default: the config's)")
    .action(async (orderId: string, opts: { reason: string; by?: string; config?: string; dataDir?: string }) => {
      const dataDir = await dataDirOf(opts);
      const store = openStore(dataDir);
      if (!store) return;
      const evidence = new EvidenceStore(join(dataDir, "evidence"));
      // the shell's login is always recorded: a name given with --by is a claim, the login is a fact
      const login = `cli:${userInfo().username}`;
      const user = opts.by ? `${opts.by} via ${login}` : login;
      try {
        const order = store.get(orderId);
        if (!order) throw new OrderError(404, `no work order ${orderId}`);
        // whoever can open the data dir is the gateway's administrator; releasing reads no order setting
        const workflow = new OrderWorkflow(store, ordersConfigSchema.parse({}), () => {});
        workflow.release(orderId, order.version, opts.reason, { user, displayName: user, role: "administrator" });
        const subject = orderSubject(orderId);
        const record = evidence.holds.isHeld(subject) ? evidence.holds.release(subject, user, opts.reason) : undefined;
        console.log(`released: ${orderId}${record ? `, hold record ${record.seq} (sha256 ${record.hash})` : ""}`);
      } catch (err) {
        if (!(err instanceof OrderError)) throw err;
        console.error(err.message);
        process.exitCode = 1;
      } finally {
        evidence.close();
        store.close();
      }
    });
  orders
    .command("verify-package <dir>")
    .description("check an evidence package against its manifest")
    .action((dir: string) => {
      const problems = verifyPackage(resolve(dir));
      for (const p of problems) console.error(p);
      if (problems.length > 0) process.exitCode = 1;
      else console.log("ok: every file matches the manifest");
    });
}
