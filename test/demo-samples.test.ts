import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureSamples, readSamples } from "../gateway/simulate/samples.ts";
import { tempDir } from "./detector-fixtures.ts";

const SHARED_IMAGES = path.resolve(import.meta.dirname, "../../shared/images");

describe("the demo's sample frames: a manifest with URL and SHA-256, fetched and verified", () => {
  it("names each photo's source, licence and size", async () => {
    const samples = await readSamples();
    expect(samples.length).toBeGreaterThan(1);
    expect(samples.some((s) => /bike|bicycle/.test(s.file))).toBe(true); // the stand-in e-bike frame
    for (const s of samples) expect(s.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{7,40}\//);
  });

  it.skipIf(!existsSync(SHARED_IMAGES))("matches the published photos byte for byte, copies them from a mirror, and refuses a tampered one", async () => {
    for (const s of await readSamples()) {
      const bytes = readFileSync(path.join(SHARED_IMAGES, s.file));
      expect([createHash("sha256").update(bytes).digest("hex"), bytes.length]).toEqual([s.sha256, s.bytes]);
    }
    const dir = tempDir("samples");
    expect(await ensureSamples(dir, SHARED_IMAGES)).toEqual({ ok: true, dir });
    const first = (await readSamples())[0]!;
    writeFileSync(path.join(dir, first.file), "not the photo");
    const tampered = await ensureSamples(dir, SHARED_IMAGES);
    expect(tampered.ok).toBe(false);
    expect(!tampered.ok && tampered.error).toMatch(new RegExp(`${first.file.replace(".", "\\.")} does not match the SHA-256`));
  });

  it("offline and without a mirror: a clear reason, no crash", async () => {
    const result = await ensureSamples(tempDir("samples-offline"), tempDir("empty-mirror"));
    // either the download failed (no internet here) or, online, it worked: never a throw
    if (!result.ok) expect(result.error).toMatch(/download of https:\/\/raw\.githubusercontent\.com\/.+ failed/);
    else expect(existsSync(path.join(result.dir, (await readSamples())[0]!.file))).toBe(true);
  });
});
