import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { EvidenceMismatch, EvidenceStore, normaliseSha256, sniffMime } from "../gateway/evidence/store.ts";
import { startAlertsGateway, throwEvent } from "./alerts-fixtures.ts";
import { freePort, waitFor } from "./services/ports.ts";
import { tempDir } from "./services/process.ts";

const DAY = 86_400_000;
const jpeg = (text: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(text)]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("evidence store", () => {
  const dirs: string[] = [];
  const open = () => {
    const dir = tempDir("evidence");
    dirs.push(dir);
    return new EvidenceStore(dir);
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("keeps bytes once per content, by id and SHA-256, and refuses bytes that do not match the announced hash", () => {
    const store = open();
    const bytes = jpeg("snapshot");
    const rec = store.put(bytes, { source: "test", subject: "al-1", expectedSha256: `sha256:${sha(bytes)}` });
    expect(rec).toMatchObject({ sha256: sha(bytes), mime: "image/jpeg", size: bytes.length, subject: "al-1" });
    expect(rec.id).toBe(`ev-${sha(bytes).slice(0, 20)}`);
    expect(readFileSync(store.path(rec))).toEqual(bytes);
    expect(store.put(bytes, { source: "again", subject: "al-2" })).toEqual(rec);
    expect(() => store.put(jpeg("tampered"), { source: "test", subject: "al-3", expectedSha256: sha(bytes) })).toThrow(EvidenceMismatch);
    store.close();
    // and it is all still there after a reopen
    const again = new EvidenceStore(store.dir);
    expect(again.get(rec.id)).toEqual(rec);
    again.close();
  });

  it("deletes files past the retention period and keeps newer ones", () => {
    const store = open();
    const now = Date.now();
    const old = store.put(jpeg("old"), { source: "t", subject: "a", now: now - 31 * DAY });
    const fresh = store.put(jpeg("fresh"), { source: "t", subject: "b", now: now - 2 * DAY });
    expect(store.purge(now - 30 * DAY)).toBe(1);
    expect(store.get(old.id)).toBeUndefined();
    expect(existsSync(store.path(old))).toBe(false);
    expect(store.get(fresh.id)).toBeDefined();
    expect(existsSync(store.path(fresh))).toBe(true);
    store.close();
  });

  it("only fetches http(s) URLs", async () => {
    const store = open();
    await expect(store.fetch("file:///etc/passwd", { source: "x", subject: "y", maxBytes: 1_000, timeoutMs: 1_000 })).rejects.toThrow(/only http/);
    store.close();
  });

  it("recognises formats and hash references", () => {
    expect(sniffMime(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe("image/png");
    expect(sniffMime(Buffer.from("....ftypisom"))).toBe("video/mp4");
    expect(normaliseSha256(`sha256:${"A".repeat(64)}`)).toBe("a".repeat(64));
    expect(normaliseSha256("sha256:123")).toBeUndefined();
  });
});

describe("throw evidence through the gateway", () => {
  it("keeps a snapshot whose bytes match the event's SHA-256 and marks one that does not", async () => {
    const photo = jpeg("a facade at night");
    const clip = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypisom clip bytes")]);
    const camera = createServer((req, res) => {
      const body = req.url === "/snap.jpg" ? photo : req.url === "/clip.mp4" ? clip : undefined;
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": req.url === "/snap.jpg" ? "image/jpeg" : "video/mp4" }).end(body);
    });
    const port = await freePort();
    await new Promise<void>((r) => camera.listen(port, "127.0.0.1", r));
    const a = await startAlertsGateway({ rules: { deviceSilent: false }, console: { enabled: false } }, { influx: { enabled: false } });
    try {
      const device = await a.gw.client();
      const base = `http://127.0.0.1:${port}`;
      await device.publishAsync(
        "linli/demo/throw/throw-cam-02/event",
        JSON.stringify(throwEvent({ building: "5", snapshot: `sha256:${sha(photo)}`, snapshotUrl: `${base}/snap.jpg`, clip: `sha256:${sha(clip)}`, clipUrl: `${base}/clip.mp4` })),
        { qos: 1 },
      );
      // a camera whose announced hash does not match what it serves
      await device.publishAsync(
        "linli/demo/throw/throw-cam-03/event",
        JSON.stringify(throwEvent({ building: "6", snapshot: `sha256:${sha(jpeg("something else"))}`, snapshotUrl: `${base}/snap.jpg` })),
        { qos: 1 },
      );
      const byDevice = (d: string) => a.ext.store!.unresolved().find((x) => x.place.device === d);
      await waitFor("evidence settled", () => byDevice("throw-cam-02")?.evidence.every((e) => e.id) === true && byDevice("throw-cam-03")?.evidence[0]?.verified === false, 5_000);
      const good = byDevice("throw-cam-02")!;
      expect(good.evidence).toEqual([
        { role: "snapshot", sha256: sha(photo), url: `${base}/snap.jpg`, id: expect.stringMatching(/^ev-/), mime: "image/jpeg", verified: true },
        { role: "clip", sha256: sha(clip), url: `${base}/clip.mp4`, id: expect.stringMatching(/^ev-/), mime: "video/mp4", verified: true },
      ]);
      for (const e of good.evidence) expect(sha(readFileSync(a.gw.gateway.core.evidence.path(a.gw.gateway.core.evidence.get(e.id!)!)))).toBe(e.sha256);
      const bad = byDevice("throw-cam-03")!;
      expect(bad.evidence[0]).not.toHaveProperty("id");
      expect(a.ext.store!.log(bad.id).map((l) => l.event)).toEqual(["opened", "evidence"]);
    } finally {
      await a.stop();
      await new Promise<void>((r) => camera.close(() => r()));
    }
  });
});
