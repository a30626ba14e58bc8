import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { X509Certificate } from "node:crypto";
import { InvalidArgumentError, type Command } from "commander";
import { deviceKinds } from "../../devices/index.ts";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { createEntryCredentials } from "./credentials.ts";
import { AuditLog } from "./audit.ts";
import { emqxAcl, mosquittoAcl, mosquittoPasswords } from "./acl.ts";
import { digestVerifiers } from "../push/digest.ts";
import { generateSecret, normaliseFingerprint } from "./password.ts";
import { DeviceRegistry, ID } from "./registry.ts";

interface Common {
  config?: string;
  registry?: string;
}

/** --config, else ./linli.yaml when present, else the defaults (site demo, dataDir data). */
function configOf(opts: Common): Config {
  return loadConfig(opts.config ?? (existsSync("linli.yaml") ? "linli.yaml" : undefined));
}

/** --registry, else the config's security.registry, else ./devices.yaml. */
function registryPath(opts: Common, config: Config): string {
  return resolve(opts.registry ?? config.security.registry ?? "devices.yaml");
}

function id(value: string): string {
  if (!ID.test(value)) throw new InvalidArgumentError("letters, digits, . _ - only (1-64)");
  return value;
}

function operator(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

/**
 * `linli devices add|list|remove|export-acl`: the device registry (devices.yaml). `add` prints the
 * new secret once; only its hashes are written.
 */
export function registerDeviceCommands(program: Command): void {
  const devices = program.command("devices").description("the device registry: who may connect to the broker, as what");
  const common = (c: Command) => c.option("-c, --config <file>", "YAML config file (default: ./linli.yaml when present)").option("-r, --registry <file>", "registry file (default: security.registry, else ./devices.yaml)");

  common(devices.command("add"))
    .description("add a device (--kind) or an account (--role); prints its secret once")
    .argument("<id>", "device id (the <deviceId> of its topics) or account name; also its MQTT username and client id", id)
    .option("-k, --kind <kind>", `device kind: ${deviceKinds.map((k) => k.kind).join(", ")}`)
    .option("--role <role>", "an account instead of a device: staff or gateway")
    .option("-s, --site <site>", "site (default: the config's site)")
    .option("--fingerprint <sha256>", "pin a client certificate by its SHA-256 fingerprint")
    .option("--cert <pem>", "pin this client certificate (PEM file)")
    .option("--no-password", "certificate only: no password is generated")
    .option("--http-digest", "a device that pushes over HTTP with Digest login: keep its Digest verifiers too (push.digest.realm)")
    .action(async (deviceId: string, opts: Common & { kind?: string; role?: string; site?: string; fingerprint?: string; cert?: string; password: boolean; httpDigest?: boolean }) => {
      const config = configOf(opts);
      const path = registryPath(opts, config);
      const registry = DeviceRegistry.loadOrEmpty(path);
      const site = opts.site ?? config.site;
      if ((opts.kind === undefined) === (opts.role === undefined)) throw new ConfigError("give either --kind (a device) or --role (an account)");
      if (opts.kind !== undefined && !deviceKinds.some((k) => k.kind === opts.kind)) throw new ConfigError(`unknown kind ${opts.kind}: ${deviceKinds.map((k) => k.kind).join(", ")}`);
      if (opts.role !== undefined && opts.role !== "staff" && opts.role !== "gateway") throw new ConfigError("--role must be staff or gateway");
      const fingerprint = opts.cert ? new X509Certificate(readFileSync(opts.cert)).fingerprint256 : opts.fingerprint;
      if (!opts.password && !fingerprint) throw new ConfigError("--no-password needs --cert or --fingerprint");
      const secret = opts.password ? generateSecret() : undefined;
      const creds = await createEntryCredentials(secret, fingerprint === undefined ? undefined : normaliseFingerprint(fingerprint));
      const createdAt = new Date().toISOString();
      if (opts.httpDigest && (!secret || opts.kind === undefined)) throw new ConfigError("--http-digest is for a device with a password");
      const httpDigest = opts.httpDigest && secret ? { httpDigest: digestVerifiers(deviceId, config.push.digest.realm, secret) } : {};
      if (opts.kind !== undefined) registry.addDevice({ id: deviceId, kind: opts.kind, site, ...creds, ...httpDigest, disabled: false, createdAt });
      else registry.addAccount({ id: deviceId, role: opts.role as "staff" | "gateway", site, ...creds, disabled: false, createdAt });
      registry.save(path);
      new AuditLog(resolve(config.dataDir, config.security.auditFile)).append({ ts: Date.now(), who: operator(), action: "devices add", topic: deviceId, outcome: "accepted", detail: opts.kind ? `device ${opts.kind} ${site}` : `account ${opts.role} ${site}` });
      console.log(`added ${opts.kind ? `${opts.kind} device` : `${opts.role} account`} ${deviceId} (site ${site}) to ${path}`);
      console.log(`MQTT username and client id: ${deviceId}${opts.role ? ` (or ${deviceId}-<anything> as client id)` : ""}`);
      if (secret) console.log(`secret (shown once, store it now): ${secret}`);
      if (fingerprint) console.log(`certificate fingerprint (SHA-256): ${normaliseFingerprint(fingerprint)}`);
    });

  common(devices.command("list"))
    .description("list the registry: ids, kinds or roles, sites, credentials (never secrets)")
    .option("--json", "as JSON")
    .action((opts: Common & { json?: boolean }) => {
      const config = configOf(opts);
      const registry = DeviceRegistry.loadOrEmpty(registryPath(opts, config));
      const rows = [
        ...registry.accounts.map((a) => ({ id: a.id, what: `account:${a.role}`, site: a.site, credentials: creds(a), disabled: a.disabled })),
        ...registry.devices.map((d) => ({ id: d.id, what: d.kind, site: d.site, credentials: creds(d), disabled: d.disabled })),
      ];
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      if (rows.length === 0) console.log("(no devices or accounts)");
      for (const r of rows) console.log(`${r.id.padEnd(24)} ${r.what.padEnd(16)} ${r.site.padEnd(12)} ${r.credentials}${r.disabled ? "  DISABLED" : ""}`);
    });

  common(devices.command("remove"))
    .description("remove a device or account (a running gateway disconnects it within seconds)")
    .argument("<id>", "id", id)
    .action((deviceId: string, opts: Common) => {
      const config = configOf(opts);
      const path = registryPath(opts, config);
      const registry = DeviceRegistry.load(path);
      if (!registry.remove(deviceId)) throw new ConfigError(`no ${deviceId} in ${path}`);
      registry.save(path);
      new AuditLog(resolve(config.dataDir, config.security.auditFile)).append({ ts: Date.now(), who: operator(), action: "devices remove", topic: deviceId, outcome: "accepted" });
      console.log(`removed ${deviceId} from ${path}`);
    });

  common(devices.command("export-acl"))
    .description("write the registry's policy for an external broker: a Mosquitto ACL and password file, or an EMQX acl.conf")
    .option("-o, --out-dir <dir>", "directory for the files", ".")
    .option("--format <format>", "mosquitto or emqx", "mosquitto")
    .action((opts: Common & { outDir: string; format: string }) => {
      const config = configOf(opts);
      const registry = DeviceRegistry.load(registryPath(opts, config));
      mkdirSync(opts.outDir, { recursive: true });
      if (opts.format === "emqx") {
        const file = join(opts.outDir, "acl.conf");
        writeFileSync(file, emqxAcl(registry, deviceKinds));
        console.log(`wrote ${file}`);
        return;
      }
      if (opts.format !== "mosquitto") throw new ConfigError("--format must be mosquitto or emqx");
      const acl = join(opts.outDir, "linli.acl");
      const passwords = join(opts.outDir, "linli.passwd");
      writeFileSync(acl, mosquittoAcl(registry, deviceKinds));
      const pw = mosquittoPasswords(registry);
      writeFileSync(passwords, pw.text, { mode: 0o600 });
      console.log(`wrote ${acl} and ${passwords}`);
      if (pw.missing.length > 0) console.log(`no password for (certificate only): ${pw.missing.join(", ")}; see docs/security.md (use_identity_as_username)`);
    });
}

function creds(e: { password?: string | undefined; fingerprint?: string | undefined }): string {
  return [e.password ? "password" : undefined, e.fingerprint ? `cert ${e.fingerprint.slice(0, 16)}…` : undefined].filter(Boolean).join(" + ") || "none";
}
