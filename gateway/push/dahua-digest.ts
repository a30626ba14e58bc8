import { randomBytes } from "node:crypto";
import { digestHash, parseDigest, type DigestAlgorithm } from "./digest.ts";

/**
 * The client side of HTTP Digest (RFC 7616, qop=auth), as the gateway logs in to a Dahua device:
 * the device answers the first request 401 with `WWW-Authenticate: Digest realm=..., qop="auth",
 * nonce=..., opaque=...` (MD5 on every Dahua firmware seen) and, often, closes the connection, so
 * the authorised request goes on a new one.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  qop?: string;
  algorithm: DigestAlgorithm;
}

/** The Digest challenge of a 401's `WWW-Authenticate` header(s), preferring SHA-256 when offered; undefined when there is none we speak. */
export function digestChallenge(header: string | string[] | undefined): DigestChallenge | undefined {
  const offers = (Array.isArray(header) ? header : header ? [header] : [])
    .map((h) => parseDigest(h))
    .filter((p): p is Record<string, string> => p !== undefined && p.realm !== undefined && p.nonce !== undefined)
    .map((p): Record<string, string> => ({ ...p, algorithm: (p.algorithm ?? "MD5").toUpperCase() }))
    .filter((p) => p.algorithm === "MD5" || p.algorithm === "SHA-256");
  const best = offers.find((p) => p.algorithm === "SHA-256") ?? offers[0];
  if (!best) return undefined;
  return { realm: best.realm as string, nonce: best.nonce as string, algorithm: best.algorithm as DigestAlgorithm, ...(best.opaque ? { opaque: best.opaque } : {}), ...(best.qop ? { qop: best.qop } : {}) };
}

/** The `Authorization` header answering `challenge` for one request (nc counts the uses of one nonce). */
export function digestAuthorization(challenge: DigestChallenge, user: string, password: string, method: string, uri: string, nc: number): string {
  const { realm, nonce, algorithm } = challenge;
  const ha1 = digestHash(algorithm, `${user}:${realm}:${password}`);
  const ha2 = digestHash(algorithm, `${method}:${uri}`);
  const quote = (v: string) => `"${v.replace(/["\\]/g, "\\$&")}"`;
  const fields = [`username=${quote(user)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(uri)}`, `algorithm=${algorithm}`];
  // qop=auth when offered (every Dahua firmware); the RFC 2069 form without it for old ones
  if (challenge.qop && /\bauth\b/.test(challenge.qop)) {
    const count = nc.toString(16).padStart(8, "0");
    const cnonce = randomBytes(8).toString("hex");
    fields.push(`qop=auth`, `nc=${count}`, `cnonce=${quote(cnonce)}`, `response=${quote(digestHash(algorithm, `${ha1}:${nonce}:${count}:${cnonce}:auth:${ha2}`))}`);
  } else fields.push(`response=${quote(digestHash(algorithm, `${ha1}:${nonce}:${ha2}`))}`);
  if (challenge.opaque !== undefined) fields.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${fields.join(", ")}`;
}
