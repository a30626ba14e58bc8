import { execFile, execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectAsync, type IClientOptions } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./services/gateway.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";
import { counter, writeRegistry } from "./security-fixtures.ts";

const run = promisify(execFile);
const SITE = "tls";
const state = (floor: number) => JSON.stringify({ ts: Date.now(), floor, door: "open", moving: false, direction: "none", mode: "normal", loadPct: 5 });

/** A CA, a server certificate for 127.0.0.1, two client certificates it signs, and a rogue self-signed one. */
function makeCerts(dir: string): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=linli test CA");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("req", "-new", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
  for (const name of ["lift-cert", "other"]) {
    openssl("req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2");
  }
  openssl("req", "-x509", ...ec, "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=lift-cert");
}

describe("TLS listener (mqtts)", () => {
  let dir: string;
  let tg: TestGateway;
  let secrets: Record<string, string>;
  let url: string;
  let tlsPort: number;
  const f = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = tempDir("security-tls");
    makeCerts(dir);
    const fingerprint = new X509Certificate(readFileSync(f("lift-cert.pem"))).fingerprint256;
    const reg = await writeRegistry(dir, SITE, [
      { id: "lift-01", kind: "lift" },
      { id: "lift-cert", kind: "lift", fingerprint, noPassword: true },
      { id: "alice", role: "staff" },
    ]);
    secrets = reg.secrets;
    tlsPort = await freePort();
    tg = await startTestGateway({
      site: SITE,
      influx: { enabled: false },
      security: { registry: reg.path, plain: false, tls: { enabled: true, port: tlsPort, cert: f("server.pem"), key: f("server.key"), ca: f("ca.pem"), requestCert: true } },
    });
    url = `mqtts://127.0.0.1:${tlsPort}`;
  }, 60_000);

  afterAll(async () => {
    await tg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = (extra: IClientOptions): IClientOptions => ({ ca: readFileSync(f("ca.pem")), rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 10_000, ...extra });
  const ingested = () => tg.gateway.metrics.totals.messagesIn + tg.gateway.metrics.totals.rejected;

  it("has switched the plain listener off", async () => {
    const port = Number(new URL(tg.brokerUrl).port);
    const err = await new Promise<Error>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(new Error("connected"));
      });
      s.once("error", resolve);
    });
    expect((err as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    expect(tg.gateway.broker!.address.port).toBe(tlsPort);
  });

  it("mqtt.js: password over TLS, and a pinned client certificate without one", async () => {
    const before = ingested();
    const a = await connectAsync(url, tls({ clientId: "lift-01", username: "lift-01", password: secrets["lift-01"] }));
    await a.publishAsync(`linli/${SITE}/lift/lift-01/state`, state(1), { qos: 1 });
    await a.endAsync();
    const b = await connectAsync(url, tls({ clientId: "lift-cert", cert: readFileSync(f("lift-cert.pem")), key: readFileSync(f("lift-cert.key")) }));
    await b.publishAsync(`linli/${SITE}/lift/lift-cert/state`, state(2), { qos: 1 });
    await b.endAsync();
    await waitFor("both ingested", () => ingested() === before + 2);
    expect(tg.gateway.metrics.totals.messagesIn).toBeGreaterThanOrEqual(2);
  });

  it("mqtt.js: refuses a certificate that is not the pinned one, even signed by the CA, and no certificate at all", async () => {
    for (const [cert, key, reason] of [
      ["rogue.pem", "rogue.key", "bad_certificate"],
      ["other.pem", "other.key", "bad_certificate"],
      [undefined, undefined, "anonymous"],
    ] as const) {
      const before = await counter(tg.gateway.metrics.registry, "linli_auth_failures_total", { reason });
      await expect(connectAsync(url, tls({ clientId: "lift-cert", ...(cert ? { cert: readFileSync(f(cert)), key: readFileSync(f(key!)) } : {}) }))).rejects.toThrow();
      expect(await counter(tg.gateway.metrics.registry, "linli_auth_failures_total", { reason }), cert ?? "none").toBe(before + 1);
    }
  });

  it("Debian's mosquitto_pub and mosquitto_sub over TLS: password, client certificate, and the policy", async () => {
    const common = ["-h", "127.0.0.1", "-p", String(tlsPort), "--cafile", f("ca.pem")];
    // a staff account watches the site
    const sub = run("mosquitto_sub", [...common, "-u", "alice", "-P", secrets.alice!, "-i", "alice-sub", "-t", `linli/${SITE}/lift/+/state`, "-C", "1", "-v", "-W", "30"]);
    const before = ingested();
    await run("mosquitto_pub", [...common, "-u", "lift-01", "-P", secrets["lift-01"]!, "-i", "lift-01", "-q", "1", "-t", `linli/${SITE}/lift/lift-01/state`, "-m", state(7)]);
    await run("mosquitto_pub", [...common, "--cert", f("lift-cert.pem"), "--key", f("lift-cert.key"), "-i", "lift-cert", "-q", "1", "-t", `linli/${SITE}/lift/lift-cert/state`, "-m", state(8)]);
    await waitFor("mosquitto_pub messages ingested", () => ingested() === before + 2);
    // keep publishing until the subscriber (connected at some point meanwhile) has one
    let done = false;
    const received = sub.then((r) => {
      done = true;
      return r.stdout;
    });
    await waitFor("mosquitto_sub received a state", async () => {
      if (!done) await run("mosquitto_pub", [...common, "-u", "lift-01", "-P", secrets["lift-01"]!, "-i", "lift-01", "-q", "1", "-t", `linli/${SITE}/lift/lift-01/state`, "-m", state(9)]);
      return done;
    }, 30_000, 300);
    // whichever device's state came after the subscriber connected: both are the site's to read
    expect(await received).toMatch(new RegExp(`^linli/${SITE}/lift/lift-(01|cert)/state \\{`));
    // a wrong password is refused; a device may not read another device's commands
    await expect(run("mosquitto_pub", [...common, "-u", "lift-01", "-P", "wrong", "-i", "lift-01", "-t", `linli/${SITE}/lift/lift-01/state`, "-m", "{}"])).rejects.toMatchObject({ code: expect.any(Number) });
    const denied = await counter(tg.gateway.metrics.registry, "linli_authz_denied_total", { action: "subscribe" });
    const r = await run("mosquitto_sub", [...common, "-u", "lift-01", "-P", secrets["lift-01"]!, "-i", "lift-01", "-t", `linli/${SITE}/lift/lift-cert/cmd`, "-C", "1", "-W", "5"]).catch((e: { stderr: string; code: number }) => e);
    expect(`${(r as { stderr: string }).stderr}`).toMatch(/denied/i);
    expect(await counter(tg.gateway.metrics.registry, "linli_authz_denied_total", { action: "subscribe" })).toBe(denied + 1);
  });
});
