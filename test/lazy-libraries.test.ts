import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "..");

/**
 * Loads what `linli start` loads before its first message (the CLI, the gateway, every feature's
 * module) in a fresh process, then runs `use`; returns the packages whose modules were resolved.
 */
async function loadedPackages(use = ""): Promise<Set<string>> {
  const script = `await import(${JSON.stringify(path.join(repoRoot, "gateway/cli.ts"))});\n${use}`;
  const recorder = path.join(import.meta.dirname, "resolve-recorder.mjs");
  const { stderr } = await run(process.execPath, ["--import", recorder, "--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot, timeout: 60_000 });
  return new Set([...stderr.matchAll(/^loaded-package (\S+)$/gm)].map((m) => m[1] as string));
}

describe("libraries a gateway needs only for some work are loaded when that work comes", () => {
  it("starting loads neither sharp, exceljs nor pdfkit (about 60 MB between them)", async () => {
    const loaded = await loadedPackages();
    // the modules did load: the broker and the spool's database are there
    expect([...loaded]).toEqual(expect.arrayContaining(["aedes", "better-sqlite3", "zod"]));
    expect([...loaded]).not.toContain("sharp");
    expect([...loaded]).not.toContain("exceljs");
    expect([...loaded]).not.toContain("pdfkit");
  }, 90_000);

  it("the first frame's preprocessing loads sharp, one thread per image, and the frame is decoded", async () => {
    const frame = await sharp({ create: { width: 8, height: 6, channels: 3, background: "#c03020" } }).jpeg().toBuffer();
    const use = `
      const { preprocess } = await import(${JSON.stringify(path.join(repoRoot, "gateway/detector/preprocess.ts"))});
      const frame = Buffer.from("${frame.toString("base64")}", "base64");
      const input = { width: 4, height: 4, resize: "stretch", letterbox: { align: "center", pad: 114 }, channels: "rgb", divideBy: 255 };
      const out = await preprocess(frame, input, 1e6);
      if (out.tensor.length !== 3 * 4 * 4) throw new Error("tensor of " + out.tensor.length);
      const { loadSharp } = await import(${JSON.stringify(path.join(repoRoot, "gateway/sharp.ts"))});
      // one libvips thread per image (gateway/sharp.ts says why)
      if ((await loadSharp()).concurrency() !== 1) throw new Error("sharp runs " + (await loadSharp()).concurrency() + " threads per image");`;
    const loaded = await loadedPackages(use);
    expect([...loaded]).toContain("sharp");
    expect([...loaded]).not.toContain("exceljs");
  }, 90_000);
});
