import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "../config-error.ts";
import { isMosquittoHash, isScryptHash, normaliseFingerprint } from "./password.ts";

/**
 * The device registry (`devices.yaml`): who may connect, as what. Devices speak for one
 * `<site>/<kind>/<id>`; accounts are people (staff) or other gateways. A username is an id, unique
 * across both lists. Only hashes and fingerprints are stored, never a secret.
 */

/** A topic level that is also a safe Mosquitto username (no `:`, `+`, `#`, `/`). */
export const ID = /^[A-Za-z0-9._-]{1,64}$/;
const SITE = /^[a-z0-9_-]+$/;

const credentials = {
  /** scrypt hash of the secret (what the embedded broker checks) */
  password: z.string().refine(isScryptHash, "must be a scrypt hash scrypt$N$r$p$salt$hash (linli devices add)").optional(),
  /** Mosquitto 2 `$7$` PBKDF2-SHA512 hash of the same secret, for `export-acl` */
  mosquittoPassword: z.string().refine(isMosquittoHash, "must be a Mosquitto $7$ hash").optional(),
  /** SHA-256 fingerprint of the client certificate (hex, colons allowed) */
  fingerprint: z
    .string()
    .transform(normaliseFingerprint)
    .pipe(z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 fingerprint"))
    .optional(),
  disabled: z.boolean().default(false),
  createdAt: z.string().optional(),
};

export const deviceEntrySchema = z.strictObject({
  id: z.string().regex(ID, "letters, digits, . _ - only (1-64)"),
  kind: z.string().regex(/^[a-z_]+$/),
  site: z.string().regex(SITE),
  ...credentials,
  /** HTTP push with Digest login (gateway/push/digest.ts): H(id:realm:secret) per algorithm, never the secret */
  httpDigest: z
    .strictObject({
      realm: z.string().min(1),
      md5: z.string().regex(/^[0-9a-f]{32}$/, "32 hex digits").optional(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 hex digits").optional(),
    })
    .optional(),
});

export const accountEntrySchema = z.strictObject({
  id: z.string().regex(ID, "letters, digits, . _ - only (1-64)"),
  /** staff: read the site, publish commands and alerts; gateway: everything under the site */
  role: z.enum(["staff", "gateway"]),
  site: z.string().regex(SITE),
  ...credentials,
});

const registryFileSchema = z.strictObject({
  devices: z.array(deviceEntrySchema).default([]),
  accounts: z.array(accountEntrySchema).default([]),
});

export type DeviceEntry = z.infer<typeof deviceEntrySchema>;
export type AccountEntry = z.infer<typeof accountEntrySchema>;
export type RegistryEntry = ({ type: "device" } & DeviceEntry) | ({ type: "account" } & AccountEntry);

/** A ConfigError: a bad registry at start is reported like a bad config file. */
export class RegistryError extends ConfigError {}

export class DeviceRegistry {
  readonly #devices = new Map<string, DeviceEntry>();
  readonly #accounts = new Map<string, AccountEntry>();

  constructor(devices: readonly DeviceEntry[] = [], accounts: readonly AccountEntry[] = []) {
    for (const d of devices) this.addDevice(d);
    for (const a of accounts) this.addAccount(a);
  }

  /** Reads and checks a registry file; a missing file is an error (the config named it). */
  static load(path: string): DeviceRegistry {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new RegistryError(`cannot read device registry ${path}: ${(err as Error).message}`);
    }
    return DeviceRegistry.parse(text, path);
  }

  /** Like load, but an absent file is an empty registry (for `linli devices add` on a new site). */
  static loadOrEmpty(path: string): DeviceRegistry {
    return existsSync(path) ? DeviceRegistry.load(path) : new DeviceRegistry();
  }

  static parse(text: string, name = "devices.yaml"): DeviceRegistry {
    let raw: unknown;
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new RegistryError(`device registry ${name} is not valid YAML: ${(err as Error).message}`);
    }
    const result = registryFileSchema.safeParse(raw);
    if (!result.success) {
      const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(top level)"}: ${i.message}`);
      throw new RegistryError(`invalid device registry ${name}:\n${lines.join("\n")}`);
    }
    try {
      return new DeviceRegistry(result.data.devices, result.data.accounts);
    } catch (err) {
      throw new RegistryError(`invalid device registry ${name}: ${(err as Error).message}`);
    }
  }

  get size(): number {
    return this.#devices.size + this.#accounts.size;
  }

  get devices(): DeviceEntry[] {
    return [...this.#devices.values()];
  }

  get accounts(): AccountEntry[] {
    return [...this.#accounts.values()];
  }

  get(id: string): RegistryEntry | undefined {
    const d = this.#devices.get(id);
    if (d) return { type: "device", ...d };
    const a = this.#accounts.get(id);
    return a ? { type: "account", ...a } : undefined;
  }

  /** The entry whose certificate has this fingerprint. */
  byFingerprint(fingerprint: string): RegistryEntry | undefined {
    const fp = normaliseFingerprint(fingerprint);
    for (const d of this.#devices.values()) if (d.fingerprint === fp) return { type: "device", ...d };
    for (const a of this.#accounts.values()) if (a.fingerprint === fp) return { type: "account", ...a };
    return undefined;
  }

  addDevice(entry: DeviceEntry): void {
    this.#checkNew(entry.id);
    this.#devices.set(entry.id, deviceEntrySchema.parse(entry));
  }

  addAccount(entry: AccountEntry): void {
    this.#checkNew(entry.id);
    this.#accounts.set(entry.id, accountEntrySchema.parse(entry));
  }

  remove(id: string): boolean {
    return this.#devices.delete(id) || this.#accounts.delete(id);
  }

  #checkNew(id: string): void {
    if (this.#devices.has(id) || this.#accounts.has(id)) throw new RegistryError(`id ${id} is already in the registry`);
  }

  toYaml(): string {
    const strip = <T extends { disabled: boolean }>(e: T) => Object.fromEntries(Object.entries(e).filter(([k, v]) => v !== undefined && !(k === "disabled" && v === false)));
    const body = stringifyYaml({ devices: this.devices.map(strip), accounts: this.accounts.map(strip) }, { lineWidth: 0 });
    return `# linli device registry (linli devices add|list|export-acl). Hashes only: secrets are shown once, at creation.\n${body}`;
  }

  /** Writes atomically (temp file + rename), readable by the owner only: the hashes are verifiers. */
  save(path: string): void {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, this.toYaml(), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  }
}
