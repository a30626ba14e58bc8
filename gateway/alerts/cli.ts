import { createInterface } from "node:readline";
import type { Command } from "commander";
import { hashPassword } from "../console/auth.ts";
import { registerLegalHoldCommands } from "./hold-cli.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Asks twice on a terminal, without echoing. */
async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput?: (s: string) => void; output: NodeJS.WritableStream };
  output._writeToOutput = (s: string) => {
    if (s.includes(question)) process.stderr.write(s);
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

/** `linli console hash-password`: prints the scrypt hash for `alerts.console.accounts[].passwordHash`; and the legal hold commands. */
export function registerAlertCommands(program: Command): void {
  registerLegalHoldCommands(program);
  const consoleCmd = program.command("console").description("the security console");
  consoleCmd
    .command("hash-password")
    .description("hash a console password (scrypt) for alerts.console.accounts[].passwordHash")
    .option("--stdin", "read the password from standard input instead of asking")
    .action(async (opts: { stdin?: boolean }) => {
      let password: string;
      if (opts.stdin || !process.stdin.isTTY) {
        password = await readStdin();
      } else {
        password = await prompt("Password: ");
        if ((await prompt("Again: ")) !== password) {
          console.error("the passwords differ");
          process.exitCode = 1;
          return;
        }
      }
      if (password.length < 8) {
        console.error("use at least 8 characters");
        process.exitCode = 1;
        return;
      }
      console.log(await hashPassword(password));
    });
}
