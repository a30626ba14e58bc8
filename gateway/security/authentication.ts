import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { AuthenticateError, Client } from "aedes";
import type { Logger } from "pino";
import { FailureSlowdown, type SlowdownOptions } from "./limits.ts";
import type { AuthFailure, SecurityMetrics } from "./metrics.ts";
import { certificateFingerprint, verifyPassword } from "./password.ts";
import type { Identity } from "./policy.ts";
import { addressOf, Refusal } from "./refusals.ts";
import type { DeviceRegistry, RegistryEntry } from "./registry.ts";

export interface AuthenticationOptions {
  /** registry entries of another site are refused */
  site: string;
  slowdown: SlowdownOptions;
  metrics: SecurityMetrics;
  log: Logger;
  /** unset: anonymous clients (the broker then listens on loopback only) */
  registry?: DeviceRegistry | undefined;
  now: () => number;
}

const ANONYMOUS: Identity = { type: "anonymous" };

/**
 * Who a client is: aedes' authenticate hook against the device registry (password or pinned TLS
 * certificate), slowed down per address after failed logins, and the identity remembered per client.
 */
export class Authentication {
  readonly #site: string;
  readonly #metrics: SecurityMetrics;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #slowdown: FailureSlowdown;
  /** per client, weakly: a will published while its client closes still finds who it was */
  readonly #identities = new WeakMap<Client, Identity>();
  /** the authenticated clients with an open connection, for registry reloads */
  readonly #live = new Set<Client>();
  /** id -> the stored hash and a keyed digest of the last secret that matched it: reconnects skip scrypt */
  readonly #verified = new Map<string, { hash: string; digest: Buffer }>();
  readonly #cacheKey = randomBytes(32);
  #registry: DeviceRegistry | undefined;

  constructor(options: AuthenticationOptions) {
    this.#site = options.site;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#registry = options.registry;
    this.#now = options.now;
    this.#slowdown = new FailureSlowdown(options.slowdown);
  }

  get registry(): DeviceRegistry | undefined {
    return this.#registry;
  }

  /** Who the client logged in as; undefined for a client that did not log in where logins are required. */
  identityOf(client: Client): Identity | undefined {
    return this.#identities.get(client) ?? (this.#registry ? undefined : ANONYMOUS);
  }

  /** A new registry (the file changed): later logins use it; clients it no longer knows are disconnected. */
  setRegistry(registry: DeviceRegistry): void {
    this.#registry = registry;
    this.#verified.clear();
    for (const client of this.#live) {
      const identity = this.#identities.get(client);
      if (!identity || identity.type === "anonymous") continue;
      const entry = registry.get(identity.id);
      if (!entry || entry.disabled) {
        this.#log.warn({ clientId: client.id, id: identity.id }, "registry entry removed or disabled: disconnecting");
        client.close();
      }
    }
  }

  /** aedes' authenticate hook. */
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined, cb: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const registry = this.#registry;
    if (!registry) {
      this.#identities.set(client, ANONYMOUS);
      cb(null, true);
      return;
    }
    const address = addressOf(client.conn) ?? "unknown";
    const wait = this.#slowdown.delayFor(address, this.#now());
    const check = () => {
      if (client.closed) return; // gave up while slowed down: no need to spend a hash on it
      this.#check(registry, client, username, password).then(
        (result) => {
          if (client.closed) return;
          if (result.ok) {
            this.#identities.set(client, result.identity);
            this.#live.add(client);
            client.conn.once("close", () => this.#live.delete(client));
            this.#log.debug({ clientId: client.id, id: result.identity.type === "anonymous" ? undefined : result.identity.id, address }, "mqtt client authenticated");
            cb(null, true);
            return;
          }
          this.#slowdown.failed(address, this.#now());
          this.#metrics.authFailure(result.reason);
          this.#log.warn({ clientId: client.id, username, address, reason: result.reason }, "mqtt login refused");
          const err = new Refusal(`login refused: ${result.reason}`);
          err.returnCode = result.reason === "client_id_mismatch" ? 2 : result.reason === "bad_password" || result.reason === "unknown_client" || result.reason === "anonymous" ? 4 : 5;
          cb(err as unknown as AuthenticateError, false);
        },
        (err: unknown) => {
          this.#log.error({ err, clientId: client.id }, "mqtt login check failed");
          const refusal = new Refusal("login check failed");
          refusal.returnCode = 3;
          cb(refusal as unknown as AuthenticateError, false);
        },
      );
    };
    if (wait > 0) {
      this.#metrics.authSlowed();
      setTimeout(check, wait).unref();
    } else check();
  }

  async #check(registry: DeviceRegistry, client: Client, username: string | undefined, password: Buffer | undefined): Promise<{ ok: true; identity: Identity } | { ok: false; reason: AuthFailure }> {
    const fingerprint = peerFingerprint(client.conn);
    const id = username || (fingerprint ? client.id : undefined);
    if (!id) return { ok: false, reason: "anonymous" };
    const entry = registry.get(id);
    if (!entry) {
      if (password) await verifyPassword(password.toString("utf8"), DUMMY_HASH); // as slow as a known id
      return { ok: false, reason: "unknown_client" };
    }
    if (entry.disabled) return { ok: false, reason: "disabled" };
    if (entry.type === "device" ? client.id !== entry.id : client.id !== entry.id && !client.id.startsWith(`${entry.id}-`)) return { ok: false, reason: "client_id_mismatch" };
    if (entry.site !== this.#site) return { ok: false, reason: "other_site" };
    if (fingerprint && entry.fingerprint) {
      if (fingerprint !== entry.fingerprint) return { ok: false, reason: "bad_certificate" };
      return { ok: true, identity: identityOf(entry) };
    }
    if (!password || !entry.password) return { ok: false, reason: entry.fingerprint ? "bad_certificate" : "no_credentials" };
    if (!(await this.#passwordMatches(entry, password))) return { ok: false, reason: "bad_password" };
    return { ok: true, identity: identityOf(entry) };
  }

  async #passwordMatches(entry: RegistryEntry, password: Buffer): Promise<boolean> {
    const stored = entry.password as string;
    const digest = createHash("sha256").update(this.#cacheKey).update(entry.id).update("\0").update(password).digest();
    const cached = this.#verified.get(entry.id);
    if (cached && cached.hash === stored && timingSafeEqual(cached.digest, digest)) return true;
    const ok = await verifyPassword(password.toString("utf8"), stored);
    if (ok) this.#verified.set(entry.id, { hash: stored, digest });
    return ok;
  }
}

/** A well-formed hash of nothing anyone knows: unknown ids cost as much as known ones. */
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

function identityOf(entry: RegistryEntry): Identity {
  return entry.type === "device" ? { type: "device", id: entry.id, kind: entry.kind, site: entry.site } : { type: "account", id: entry.id, role: entry.role, site: entry.site };
}

function peerFingerprint(conn: unknown): string | undefined {
  const tls = conn as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== "function") return undefined;
  const cert = tls.getPeerCertificate();
  return cert && cert.raw ? certificateFingerprint(cert.raw) : undefined;
}
