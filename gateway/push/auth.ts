import { createHash, timingSafeEqual } from "node:crypto";
import { statSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import { hashPassword, verifyPassword } from "../security/password.ts";
import { DeviceRegistry, type DeviceEntry } from "../security/registry.ts";
import { DigestAuth, parseDigest, type DigestOptions } from "./digest.ts";
import { Refusal } from "./refusal.ts";

/** `Authorization: Basic` -> user and password. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1] as string, "base64").toString("utf8");
  const i = text.indexOf(":");
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

let dummyHash: Promise<string> | undefined;

/**
 * Who a push request comes from: a device of the registry (re-read when the file changes), logged
 * in with HTTP Basic (its secret, checked against the scrypt hash) or HTTP Digest (its
 * `httpDigest` verifiers). A refusal is a 401 that offers both, so a device picks what it speaks.
 */
export class PushAuth {
  readonly #digest: DigestAuth;
  #registry: { path: string; mtimeMs: number; registry: DeviceRegistry } | undefined;
  /** device id -> digest of a password that verified against this hash: a camera's every push skips scrypt */
  readonly #verified = new Map<string, { hash: string; digest: Buffer }>();

  constructor(
    private readonly registryPath: () => string | undefined,
    digest: DigestOptions,
    private readonly log: Logger,
  ) {
    this.#digest = new DigestAuth(digest);
  }

  /** `WWW-Authenticate` of a 401: Digest per algorithm, then Basic. */
  challenge(stale = false): Record<string, string[]> {
    return { "www-authenticate": [...this.#digest.challenges(stale), `Basic realm="${this.#digest.realm}"`] };
  }

  #refuse(detail: string, stale = false): Refusal {
    return new Refusal(401, "unauthorized", detail, this.challenge(stale));
  }

  #registryNow(): DeviceRegistry | undefined {
    const path = this.registryPath();
    if (!path) return undefined;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch (err) {
      this.log.warn({ err, path }, "device registry unreadable: push refused");
      return undefined;
    }
    if (!this.#registry || this.#registry.path !== path || this.#registry.mtimeMs !== mtimeMs) {
      try {
        this.#registry = { path, mtimeMs, registry: DeviceRegistry.load(path) };
      } catch (err) {
        // a registry being rewritten, or broken by hand: refuse until it reads again, never crash
        this.log.warn({ err, path }, "device registry invalid: push refused");
        this.#registry = undefined;
        return undefined;
      }
    }
    return this.#registry.registry;
  }

  #device(id: string): DeviceEntry | undefined {
    const entry = this.#registryNow()?.get(id);
    return entry && entry.type === "device" && !entry.disabled ? entry : undefined;
  }

  /** The device the request logs in as; throws a 401 Refusal. */
  async authenticate(req: IncomingMessage): Promise<DeviceEntry> {
    const header = req.headers.authorization;
    const digest = parseDigest(header);
    if (digest) return this.#byDigest(digest, req);
    const creds = basicCredentials(header);
    if (!creds) throw this.#refuse("no credentials");
    const entry = this.#device(creds.user);
    if (!entry?.password) {
      dummyHash ??= hashPassword("linli-push-dummy");
      await verifyPassword(creds.password, await dummyHash); // as slow as a known id
      throw this.#refuse(`unknown or disabled device ${creds.user}`);
    }
    const digestOfPassword = createHash("sha256").update(entry.id).update("\0").update(creds.password).digest();
    const cached = this.#verified.get(entry.id);
    if (!(cached && cached.hash === entry.password && timingSafeEqual(cached.digest, digestOfPassword))) {
      if (!(await verifyPassword(creds.password, entry.password))) throw this.#refuse(`bad password for ${entry.id}`);
      this.#verified.set(entry.id, { hash: entry.password, digest: digestOfPassword });
    }
    return entry;
  }

  #byDigest(params: Record<string, string>, req: IncomingMessage): DeviceEntry {
    const check = this.#digest.check(params, req.method ?? "POST", req.url ?? "");
    if (!check.ok) throw this.#refuse(check.detail, check.stale);
    const entry = this.#device(check.user);
    const verifiers = entry?.httpDigest;
    if (!entry || !verifiers) throw this.#refuse(`no Digest login for ${check.user} (linli devices add --http-digest)`);
    if (verifiers.realm !== this.#digest.realm) throw this.#refuse(`${entry.id}'s Digest verifiers are for realm ${verifiers.realm}, not ${this.#digest.realm}`);
    const verifier = check.algorithm === "MD5" ? verifiers.md5 : verifiers.sha256;
    if (!verifier) throw this.#refuse(`${entry.id} has no ${check.algorithm} verifier`);
    if (!check.verify(verifier)) throw this.#refuse(`bad Digest response for ${entry.id} (or a replayed nonce count)`);
    return entry;
  }
}
