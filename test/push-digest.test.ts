import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestAuth, digestHash, digestVerifiers, parseDigest, type DigestAlgorithm } from "../gateway/push/digest.ts";
import { DeviceRegistry } from "../gateway/security/registry.ts";
import { counter, writeRegistry } from "./security-fixtures.ts";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort } from "./services/ports.ts";

const run = promisify(execFile);
const curl = async (args: string[]) => (await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args])).stdout;

/** A Digest client, for what curl does not do on purpose (a replayed nonce count). */
function authorization(o: { user: string; secret: string; realm: string; nonce: string; uri: string; algorithm: DigestAlgorithm; nc: string; method?: string }): string {
  const cnonce = "0a4f113b";
  const ha1 = digestHash(o.algorithm, `${o.user}:${o.realm}:${o.secret}`);
  const ha2 = digestHash(o.algorithm, `${o.method ?? "POST"}:${o.uri}`);
  const response = digestHash(o.algorithm, `${ha1}:${o.nonce}:${o.nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${o.user}", realm="${o.realm}", nonce="${o.nonce}", uri="${o.uri}", algorithm=${o.algorithm}, qop=auth, nc=${o.nc}, cnonce="${cnonce}", response="${response}"`;
}

describe("HTTP Digest (RFC 7616) with curl --digest as the client", () => {
  let now = Date.now();
  let server: Server;
  let url: string;
  const verifiers = digestVerifiers("cam-1", "linli", "s3cret-pass");
  const servers: Record<string, DigestAuth> = {};

  beforeAll(async () => {
    for (const a of ["MD5", "SHA-256"] as const) servers[a] = new DigestAuth({ realm: "linli", algorithms: [a], nonceTtlMs: 60_000, now: () => now });
    // a bare server: /<algorithm> answers 200 to a good Digest login and 401 with a challenge otherwise
    server = createServer((req, res) => {
      const auth = servers[(req.url ?? "").slice(1)] as DigestAuth;
      const params = parseDigest(req.headers.authorization);
      const check = params ? auth.check(params, req.method ?? "", req.url ?? "") : undefined;
      if (check?.ok && check.verify(check.algorithm === "MD5" ? verifiers.md5 : verifiers.sha256)) return void res.end("ok");
      res.writeHead(401, { "www-authenticate": auth.challenges(check?.ok === false && check.stale) }).end();
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each(["MD5", "SHA-256"])("logs curl in with %s; a wrong password is refused", async (algorithm) => {
    expect(await curl(["--digest", "-u", "cam-1:s3cret-pass", "--data-binary", "<EventNotificationAlert/>", `${url}/${algorithm}`])).toBe("200");
    expect(await curl(["--digest", "-u", "cam-1:wrong", "--data-binary", "<EventNotificationAlert/>", `${url}/${algorithm}`])).toBe("401");
  });

  it("refuses an expired nonce as stale, a replayed nonce count, another realm, a forged nonce and a changed uri", () => {
    const auth = servers["SHA-256"] as DigestAuth;
    const nonce = auth.nonce();
    const params = (o: Partial<Parameters<typeof authorization>[0]> = {}) =>
      parseDigest(authorization({ user: "cam-1", secret: "s3cret-pass", realm: "linli", nonce, uri: "/push/x", algorithm: "SHA-256", nc: "00000001", ...o }))!;
    const ok = auth.check(params(), "POST", "/push/x");
    expect(ok.ok && ok.verify(verifiers.sha256)).toBe(true);
    const replay = auth.check(params(), "POST", "/push/x");
    expect(replay.ok && replay.verify(verifiers.sha256)).toBe(false); // nc 1 again
    const next = auth.check(params({ nc: "00000002" }), "POST", "/push/x");
    expect(next.ok && next.verify(verifiers.sha256)).toBe(true);
    expect(auth.check(params({ realm: "other" }), "POST", "/push/x")).toMatchObject({ ok: false, stale: false });
    expect(auth.check(params({ nonce: Buffer.alloc(32, 1).toString("base64url") }), "POST", "/push/x")).toMatchObject({ ok: false, detail: "not a nonce of this gateway" });
    expect(auth.check(params(), "POST", "/push/y")).toMatchObject({ ok: false, detail: "uri /push/x is not the request's" });
    now += 61_000;
    expect(auth.check(params({ nc: "00000003" }), "POST", "/push/x")).toEqual({ ok: false, stale: true, detail: "nonce expired" });
    expect(auth.challenges(true)[0]).toMatch(/^Digest realm="linli", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", stale=true$/);
  });

  it("parses quoted, unquoted and escaped parameters", () => {
    expect(parseDigest('Digest username="a\\"b", nc=00000001, qop=auth, uri="/p?x=1,2"')).toEqual({ username: 'a"b', nc: "00000001", qop: "auth", uri: "/p?x=1,2" });
    expect(parseDigest("Basic YTpi")).toBeUndefined();
  });
});

describe("Digest login on a running gateway's Hikvision push", () => {
  let gw: TestGateway;
  let url: string;
  let secrets: Record<string, string>;
  const anpr = (uuid: string) => `<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><dateTime>${new Date().toISOString()}</dateTime><eventType>ANPR</eventType><eventState>active</eventState><ANPR><licensePlate>沪D12345</licensePlate><direction>forward</direction><confidenceLevel>95</confidenceLevel></ANPR><UUID>${uuid}</UUID></EventNotificationAlert>`;
  const unauthorized = () => counter(gw.gateway.metrics.registry, "linli_push_requests_total", { vendor: "hikvision", outcome: "unauthorized" });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "linli-push-digest-"));
    const reg = await writeRegistry(dir, "demo", [{ id: "anpr-digest", kind: "gate" }, { id: "anpr-basic", kind: "gate" }]);
    secrets = reg.secrets;
    // what `linli devices add anpr-digest --kind gate --http-digest` writes
    const registry = DeviceRegistry.load(reg.path);
    const entry = registry.devices.find((d) => d.id === "anpr-digest")!;
    registry.remove(entry.id);
    registry.addDevice({ ...entry, httpDigest: digestVerifiers(entry.id, "linli", secrets["anpr-digest"] as string) });
    registry.save(reg.path);
    gw = await startTestGateway({ site: "demo", influx: { enabled: false }, security: { registry: reg.path, authFailures: { freeAttempts: 100 } }, push: { enabled: true } });
    url = `${gw.httpUrl}/push/hikvision`;
  }, 30_000);
  afterAll(() => gw?.stop());

  it("takes a push from curl --digest (SHA-256, offered first) and counts the challenge and a wrong password as unauthorized", async () => {
    const before = await unauthorized();
    expect(await curl(["--digest", "-u", `anpr-digest:${secrets["anpr-digest"]}`, "-H", "Content-Type: application/xml", "--data-binary", anpr("digest-1"), url])).toBe("200");
    expect(await unauthorized()).toBe(before + 1); // curl's first request, which carries no credentials
    expect(await curl(["--digest", "-u", "anpr-digest:wrong", "-H", "Content-Type: application/xml", "--data-binary", anpr("digest-2"), url])).toBe("401");
    expect(await unauthorized()).toBe(before + 3);
    // a device without Digest verifiers logs in with Basic only
    expect(await curl(["--digest", "-u", `anpr-basic:${secrets["anpr-basic"]}`, "--data-binary", anpr("digest-3"), url])).toBe("401");
    expect(await curl(["--basic", "-u", `anpr-basic:${secrets["anpr-basic"]}`, "--data-binary", anpr("digest-3"), url])).toBe("200");
  }, 30_000);

  it("takes MD5 from a client that picks it, and refuses a replayed request", async () => {
    const challenge = await fetch(url, { method: "POST", body: anpr("digest-4") });
    expect(challenge.status).toBe(401);
    const offered = challenge.headers.get("www-authenticate") ?? "";
    expect(offered).toMatch(/algorithm=SHA-256.*algorithm=MD5.*Basic realm="linli"/);
    const nonce = /nonce="([^"]+)"/.exec(offered)?.[1] as string;
    const header = authorization({ user: "anpr-digest", secret: secrets["anpr-digest"] as string, realm: "linli", nonce, uri: "/push/hikvision", algorithm: "MD5", nc: "00000001" });
    const first = await fetch(url, { method: "POST", body: anpr("digest-4"), headers: { authorization: header, "content-type": "application/xml" } });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: "accepted" });
    const replayed = await fetch(url, { method: "POST", body: anpr("digest-5"), headers: { authorization: header, "content-type": "application/xml" } });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ status: "unauthorized", detail: expect.stringMatching(/replayed/) });
  }, 30_000);
});
