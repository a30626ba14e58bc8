import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * HTTP Digest access authentication (RFC 7616), the server side, as Hikvision and Dahua devices
 * speak it: algorithms MD5 and SHA-256, qop=auth only. The gateway keeps no secret of a device,
 * only H(user:realm:secret) per algorithm (what `htdigest` keeps), so a verifier found in the
 * registry file lets no one log in elsewhere. Nonces are stateless (time, random, HMAC under a key
 * that lives as long as the process) and expire: a response to an expired but genuine nonce is
 * answered with `stale=true`, so the device retries with a new one instead of asking its user.
 * A nonce count (nc) must grow, so a captured request cannot be replayed.
 */
export const DIGEST_ALGORITHMS = ["SHA-256", "MD5"] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const HASH: Record<DigestAlgorithm, string> = { MD5: "md5", "SHA-256": "sha256" };

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(HASH[algorithm]).update(text, "utf8").digest("hex");
}

/** H(user:realm:secret): what the registry keeps for a device that logs in with Digest. */
export function digestVerifier(algorithm: DigestAlgorithm, user: string, realm: string, secret: string): string {
  return digestHash(algorithm, `${user}:${realm}:${secret}`);
}

/** The parameters of an `Authorization: Digest ...` header, or undefined when it is not one. */
export function parseDigest(header: string | undefined): Record<string, string> | undefined {
  const m = /^Digest\s+(.*)$/is.exec(header ?? "");
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  for (const p of (m[1] as string).matchAll(re)) params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] as string);
  return params;
}

export interface DigestOptions {
  realm: string;
  /** offered in this order (RFC 7616 §3.7: the preferred one first) */
  algorithms: readonly DigestAlgorithm[];
  nonceTtlMs: number;
  now?: () => number;
}

/** A Digest `Authorization` header checked as far as it can be without the user's verifier. */
export type DigestCheck =
  | { ok: true; user: string; algorithm: DigestAlgorithm; verify(verifier: string): boolean }
  | { ok: false; stale: boolean; detail: string };

const NONCE_BYTES = 8 + 8 + 16;
const MAX_TRACKED = 10_000;

export class DigestAuth {
  readonly #key = randomBytes(32);
  readonly #now: () => number;
  /** nonce -> the highest nonce count used with it */
  readonly #counts = new Map<string, number>();

  constructor(private readonly options: DigestOptions) {
    this.#now = options.now ?? Date.now;
  }

  get realm(): string {
    return this.options.realm;
  }

  #mac(body: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(body).digest().subarray(0, 16);
  }

  nonce(): string {
    const body = Buffer.alloc(16);
    body.writeBigUInt64BE(BigInt(this.#now()), 0);
    randomBytes(8).copy(body, 8);
    return Buffer.concat([body, this.#mac(body)]).toString("base64url");
  }

  /** `WWW-Authenticate` values, one per algorithm; `stale` when the client's nonce had expired. */
  challenges(stale = false): string[] {
    const nonce = this.nonce();
    return this.options.algorithms.map((a) => `Digest realm="${this.options.realm}", qop="auth", algorithm=${a}, nonce="${nonce}"${stale ? ", stale=true" : ""}`);
  }

  /** Checks everything but the response itself, which needs the user's verifier (`verify`). */
  check(params: Record<string, string>, method: string, requestUri: string): DigestCheck {
    const fail = (detail: string, stale = false): DigestCheck => ({ ok: false, stale, detail });
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = params;
    const algorithm = (params.algorithm ?? "MD5") as DigestAlgorithm;
    if (!username || !nonce || !uri || !response || !cnonce || !nc) return fail("Digest credentials incomplete");
    if (realm !== this.options.realm) return fail(`realm ${realm} is not ${this.options.realm}`);
    if (!this.options.algorithms.includes(algorithm)) return fail(`algorithm ${algorithm} not offered`);
    if (qop !== "auth") return fail("qop must be auth");
    if (uri !== requestUri) return fail(`uri ${uri} is not the request's`);
    if (!/^[0-9a-f]{8}$/i.test(nc)) return fail("bad nc");
    const raw = Buffer.from(nonce, "base64url");
    if (raw.length !== NONCE_BYTES || !timingSafeEqual(this.#mac(raw.subarray(0, 16)), raw.subarray(16))) return fail("not a nonce of this gateway");
    if (this.#now() - Number(raw.readBigUInt64BE(0)) > this.options.nonceTtlMs) return fail("nonce expired", true);
    const expectedLength = digestHash(algorithm, "").length;
    if (!new RegExp(`^[0-9a-f]{${expectedLength}}$`, "i").test(response)) return fail("bad response");
    return {
      ok: true,
      user: username,
      algorithm,
      verify: (verifier) => {
        const ha2 = digestHash(algorithm, `${method}:${uri}`);
        const expected = Buffer.from(digestHash(algorithm, `${verifier}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`), "utf8");
        if (!timingSafeEqual(expected, Buffer.from(response.toLowerCase(), "utf8"))) return false;
        return this.#countUp(nonce, parseInt(nc, 16));
      },
    };
  }

  /** A nonce count must grow: a repeated one is a replayed request. */
  #countUp(nonce: string, count: number): boolean {
    const last = this.#counts.get(nonce);
    if (last !== undefined && count <= last) return false;
    this.#counts.delete(nonce);
    this.#counts.set(nonce, count);
    if (this.#counts.size > MAX_TRACKED) this.#counts.delete(this.#counts.keys().next().value as string);
    return true;
  }
}

/** The registry's `httpDigest` of a device: its verifiers for every algorithm linli offers. */
export function digestVerifiers(user: string, realm: string, secret: string): { realm: string; md5: string; sha256: string } {
  return { realm, md5: digestVerifier("MD5", user, realm, secret), sha256: digestVerifier("SHA-256", user, realm, secret) };
}
