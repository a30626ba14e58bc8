import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { loadConfig } from "../config.ts";
import { isStaffRole, STAFF_ROLES, type StaffRole } from "../staff/roles.ts";
import { hashPassword } from "./auth.ts";
import { ConsoleDb } from "./console-db.ts";

interface Common {
  config?: string;
}

/** The console's database of the configured data dir (--config, else ./linli.yaml, else the defaults). */
function openDb(opts: Common): ConsoleDb {
  const config = loadConfig(opts.config ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined));
  const dir = resolve(config.dataDir, "console");
  mkdirSync(dir, { recursive: true });
  return new ConsoleDb(join(dir, "console.db"));
}

function role(value: string): StaffRole {
  if (!isStaffRole(value)) throw new InvalidArgumentError(`one of ${STAFF_ROLES.join(", ")}`);
  return value;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Runs `fn` on the database and closes it; a false answer is a failure with `message`. */
function withDb(opts: Common, message: string, fn: (db: ConsoleDb) => boolean): void {
  const db = openDb(opts);
  try {
    if (!fn(db)) {
      console.error(message);
      process.exitCode = 1;
    }
  } finally {
    db.close();
  }
}

/**
 * `linli console users add|list|remove|set-role`: the accounts kept in the data dir (the same as the
 * console's accounts page); a running gateway sees a change at the account's next request.
 */
export function registerConsoleUserCommands(program: Command): void {
  const consoleCmd = program.commands.find((c) => c.name() === "console") ?? program.command("console").description("the security console");
  const users = consoleCmd.command("users").description("console accounts in the data dir (roles: guard, technician, supervisor, administrator)");
  users
    .command("add <user>")
    .description("add an account; the password is read from standard input")
    .requiredOption("--role <role>", STAFF_ROLES.join(" | "), role)
    .option("--name <displayName>", "the name staff read (defaults to the user)")
    .option("--config <file>", "linli.yaml")
    .action(async (user: string, opts: Common & { role: StaffRole; name?: string }) => {
      const password = await readStdin();
      if (password.length < 8) {
        console.error("use a password of at least 8 characters");
        process.exitCode = 1;
        return;
      }
      const passwordHash = await hashPassword(password);
      withDb(opts, `${user} exists`, (db) => db.addAccount({ user, passwordHash, displayName: opts.name ?? user, role: opts.role }));
    });
  users
    .command("list")
    .option("--config <file>", "linli.yaml")
    .action((opts: Common) =>
      withDb(opts, "", (db) => {
        for (const a of db.accounts()) console.log(`${a.user}\t${a.role}\t${a.displayName}`);
        return true;
      }),
    );
  users
    .command("remove <user>")
    .description("remove an account and end its sessions")
    .option("--config <file>", "linli.yaml")
    .action((user: string, opts: Common) => withDb(opts, `no account ${user}`, (db) => db.removeAccount(user)));
  users
    .command("set-role <user> <role>")
    .option("--config <file>", "linli.yaml")
    .action((user: string, r: string, opts: Common) => withDb(opts, `no account ${user}`, (db) => db.setRole(user, role(r))));
}
