import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../gateway/console/auth.ts";
import { ordersFeature } from "../gateway/orders/feature.ts";
import type { Manifest } from "../gateway/orders/package.ts";
import type { WorkOrder } from "../gateway/orders/types.ts";
import { SYSTEM } from "../gateway/orders/workflow.ts";
import { startAlertsGateway, type AlertsGateway } from "./alerts-fixtures.ts";
import { linli } from "./services/cli.ts";

const PASSWORD = "correct horse battery";

describe("legal hold and evidence packages", () => {
  let a: AlertsGateway;
  let cookie: string;
  let order: WorkOrder;
  let snapshot: Buffer;

  beforeAll(async () => {
    const passwordHash = await hashPassword(PASSWORD);
    a = await startAlertsGateway({ console: { accounts: [{ user: "zhang", passwordHash, displayName: "张主管", role: "supervisor" }] }, rules: { deviceSilent: false } }, { influx: { enabled: false } });
    const login = await fetch(`${a.gw.httpUrl}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `user=zhang&password=${encodeURIComponent(PASSWORD)}` });
    cookie = login.headers.getSetCookie().find((c) => c.startsWith("linli_console="))!.split(";")[0]!;
    // a throw camera's snapshot, kept in the evidence store as the alerts feature keeps it
    snapshot = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 40, g: 60, b: 90 } } }).jpeg().toBuffer();
    const rec = a.gw.gateway.core.evidence.put(snapshot, { source: "http://camera/snap.jpg", subject: "al-test" });
    order = a.gw.gateway.feature(ordersFeature)!.workflow!.create(
      { type: "incident", place: { site: "demo", device: "throw-cam-01", building: "12", floor: 14 }, description: "高空抛物", alertId: "al-test", evidence: [{ role: "snapshot", sha256: rec.sha256, id: rec.id, mime: rec.mime }] },
      SYSTEM,
    );
  });

  afterAll(async () => {
    await a?.stop();
  });

  it("a supervisor's hold keeps the evidence through the evidence store's retention", async () => {
    const action = (body: unknown) => fetch(`${a.gw.httpUrl}/api/orders/action`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await action({ action: "hold", id: order.id, version: order.version, note: "" })).status).toBe(400); // a reason is needed
    const res = await action({ action: "hold", id: order.id, version: order.version, note: "派出所调取 2026-117 号" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { order: WorkOrder }).order.legalHold).toMatchObject({ by: "zhang", note: "派出所调取 2026-117 号" });
    // retention runs: everything in the store is past it, and the held snapshot stays
    const evidence = a.gw.gateway.core.evidence;
    evidence.purge(Date.now() + 1_000);
    const kept = evidence.get(order.evidence[0]!.id!);
    expect(kept?.sha256).toBe(order.evidence[0]!.sha256);
    expect(existsSync(evidence.path(kept!))).toBe(true);
    expect(evidence.holds.current(`order:${order.id}`)).toMatchObject({ seq: 1, by: "zhang", reason: "派出所调取 2026-117 号" });
  });

  it("exports a package whose manifest verifies, and names a file changed afterwards", async () => {
    const out = join(a.gw.dataDir, "package");
    const exported = await linli(["orders", "package", order.id, "--out", out, "--data-dir", a.gw.dataDir], { cwd: a.gw.dataDir, timeoutMs: 30_000 });
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.files.map((f) => f.path)).toEqual(["evidence/snapshot-1.jpg", "history.json", "order.json"]);
    const snap = manifest.files.find((f) => f.path === "evidence/snapshot-1.jpg")!;
    // the camera's bytes, long after retention took them from the store
    expect(snap.sha256).toBe(createHash("sha256").update(snapshot).digest("hex"));
    expect(readFileSync(join(out, "evidence/snapshot-1.jpg"))).toEqual(snapshot);
    const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as Array<{ seq: number; event: string; hash: string }>;
    expect(history.map((r) => r.event)).toEqual(["created", "held"]);
    expect(manifest.chain).toEqual({ seqs: history.map((r) => r.seq), lastHash: history.at(-1)!.hash });
    const ok = await linli(["orders", "verify-package", out], { cwd: a.gw.dataDir, timeoutMs: 30_000 });
    expect(ok.code).toBe(0);
    writeFileSync(join(out, "evidence/snapshot-1.jpg"), Buffer.concat([snapshot, Buffer.from([0])]));
    const bad = await linli(["orders", "verify-package", out], { cwd: a.gw.dataDir, timeoutMs: 30_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("evidence/snapshot-1.jpg: SHA-256 does not match the manifest");
  });
});
