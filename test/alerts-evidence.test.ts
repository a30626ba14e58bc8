import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { EvidenceMismatch, EvidenceStore, normaliseSha256, sniffMime } from "../gateway/evidence/store.ts";
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
