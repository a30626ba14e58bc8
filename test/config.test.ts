import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, noticesOf, parseConfig } from "../gateway/config.ts";

describe("config", () => {
  it("works with no file, on the documented defaults", () => {
    const c = loadConfig(undefined, {});
    expect(c.site).toBe("demo");
    expect(c.broker).toMatchObject({ mode: "embedded", port: 1883 });
    expect(c.influx).toMatchObject({ version: 1, url: "http://127.0.0.1:8086", database: "linli" });
    expect(c.http.port).toBe(8080);
    // nested sections are filled in from their own defaults, all the way down
    expect(c.lift.opcua.nodeIds.door).toBe("ns=1;s={lift}.DoorState");
    expect(c.alerts.severity.throw).toBe("critical");
    expect(c.alerts.escalation.afterMinutes).toBe(5);
    expect(c.evidence.retentionDays).toBe(30);
    expect(c.security.commands.requireEnvelope).toBe(true);
    expect(c.influx.retry).toEqual({ minDelayMs: 500, maxDelayMs: 30_000 });
  });

  it("names the bad key in its error", () => {
    expect(() => parseConfig({ broker: { port: "1883x" } }, {})).toThrow(/broker\.port/);
    expect(() => parseConfig({ influx: { version: 3 } }, {})).toThrow(/influx\.version/);
  });

  it("takes an evidence retention set where it used to live, and says where it lives now", () => {
    const old = parseConfig({ lift: { evidenceRetentionDays: 7 } }, {});
    expect(old.evidence.retentionDays).toBe(7);
    expect(noticesOf(old)).toEqual(["config key lift.evidenceRetentionDays has moved to evidence.retentionDays; please update the file"]);
    expect(parseConfig({ alerts: { evidence: { retentionDays: 9, fetch: false } } }, {})).toMatchObject({ evidence: { retentionDays: 9 }, alerts: { evidence: { fetch: false } } });
    expect(parseConfig({ lift: { evidenceRetentionDays: 7 }, evidence: { retentionDays: 7 } }, {}).evidence.retentionDays).toBe(7);
    expect(noticesOf(parseConfig({ evidence: { retentionDays: 7 } }, {}))).toEqual([]);
    // two places saying different things: the site must choose
    expect(() => parseConfig({ lift: { evidenceRetentionDays: 7 }, alerts: { evidence: { retentionDays: 30 } } }, {})).toThrow(/alerts\.evidence\.retentionDays: moved to evidence\.retentionDays, which lift\.evidenceRetentionDays already sets to 7/);
    expect(() => parseConfig({ lift: { evidenceRetentionDays: 7 }, evidence: { retentionDays: 30 } }, {})).toThrow(/evidence\.retentionDays/);
  });

  it("refuses a misspelt key instead of ignoring it", () => {
    expect(() => parseConfig({ influx: { databse: "x" } }, {})).toThrow(/influx\.databse/);
  });

  it("requires a broker url in external mode", () => {
    expect(() => parseConfig({ broker: { mode: "external" } }, {})).toThrow(/broker\.url/);
  });

  it("takes secrets from the environment and from ${env:} / ${file:} references", () => {
    const dir = mkdtempSync(join(tmpdir(), "linli-config-"));
    writeFileSync(join(dir, "token"), "s3cret-from-file\n");
    const file = join(dir, "linli.yaml");
    writeFileSync(file, `site: tower-a\ninflux:\n  version: 2\n  token: \${file:${join(dir, "token")}}\nbroker:\n  mode: external\n  url: mqtt://broker:1883\n  password: \${env:MY_BROKER_PW}\n`);
    const c = loadConfig(file, { MY_BROKER_PW: "pw-from-env", LINLI_PRIVACY_SALT: "salt" });
    expect(c.site).toBe("tower-a");
    expect(c.influx.token).toBe("s3cret-from-file");
    expect(c.broker.password).toBe("pw-from-env");
    expect(c.privacy.salt).toBe("salt");
    expect(() => loadConfig(file, {})).toThrow(/MY_BROKER_PW is not set/);
  });

  it("reports YAML syntax errors as config errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "linli-config-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "site: [unclosed\n");
    expect(() => loadConfig(file, {})).toThrow(ConfigError);
  });
});

describe("feature config sections", () => {
  it("refuse misspelt keys too, naming them", () => {
    expect(() => parseConfig({ detector: { modle: "x" } }, {})).toThrow(/detector\.modle/);
    expect(() => parseConfig({ lift: { confirmN: 3, confrimM: 5 } }, {})).toThrow(/lift\.confrimM/);
    expect(() => parseConfig({ alerts: { escalaton: {} } }, {})).toThrow(/alerts\.escalaton/);
    expect(() => parseConfig({ security: { registy: "devices.yaml" } }, {})).toThrow(/security\.registy/);
  });
});
