import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { camerasConfigSchema } from "../gateway/cameras/config.ts";
import { JpegSplitter } from "../gateway/cameras/jpeg-splitter.ts";
import { RateGate, wantsFullRate } from "../gateway/cameras/rate-gate.ts";
import { redactCredentials, redactUrl } from "../gateway/cameras/rtsp-url.ts";
import { parseConfig } from "../gateway/config.ts";

const jpeg = (n: number) => sharp({ create: { width: 32 + n, height: 24, channels: 3, background: { r: n * 40, g: 90, b: 200 - n * 30 } } }).jpeg().toBuffer();

/** A JPEG with an APP segment holding the bytes FF D9 (as an EXIF thumbnail does) right after its SOI. */
function withTrapSegment(image: Buffer): Buffer {
  const payload = Buffer.from([0x54, 0x52, 0x41, 0x50, 0xff, 0xd8, 0x00, 0xff, 0xd9, 0x00]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xe5]), Buffer.from([0, payload.length + 2]), payload]);
  return Buffer.concat([image.subarray(0, 2), segment, image.subarray(2)]);
}

function split(stream: Buffer, chunkSizes: number[], maxBytes = 1 << 20) {
  const images: Buffer[] = [];
  let drops = 0;
  const splitter = new JpegSplitter(maxBytes, (j) => images.push(j), () => drops++);
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    splitter.push(stream.subarray(at, at + size));
    at += size;
  }
  return { images, drops };
}

describe("cameras: the JPEG splitter", () => {
  it("cuts a stream of JPEGs into the same JPEGs, whatever the chunk boundaries, skipping garbage between them", async () => {
    const originals = [await jpeg(0), withTrapSegment(await jpeg(1)), await jpeg(2), await jpeg(3)];
    const stream = Buffer.concat([Buffer.from("junk\xff"), originals[0]!, originals[1]!, Buffer.from([0x00, 0xff, 0x12]), originals[2]!, originals[3]!]);
    for (const chunks of [[1], [7, 3, 1000], [stream.length], [65_536]]) {
      const { images, drops } = split(stream, chunks);
      expect(images.map((i) => i.toString("hex"))).toEqual(originals.map((o) => o.toString("hex")));
      expect(drops).toBe(0);
    }
    for (const image of split(stream, [13]).images) expect((await sharp(image).metadata()).format).toBe("jpeg");
  });

  it("drops a truncated image and an oversized one, and keeps the next", async () => {
    const a = await jpeg(0);
    const b = await jpeg(1);
    const truncated = a.subarray(0, a.length - 40);
    const { images, drops } = split(Buffer.concat([truncated, b]), [100]);
    expect(images).toEqual([b]);
    expect(drops).toBe(1);
    const capped = split(Buffer.concat([a, b]), [50], Math.min(a.length, b.length) - 1);
    expect(capped.images).toEqual([]);
    expect(capped.drops).toBeGreaterThanOrEqual(2);
  });
});

describe("cameras: credentials", () => {
  it("redacts user and password from URLs and from ffmpeg's messages", () => {
    const url = "rtsp://admin:p%40ss-w0rd@10.0.0.5:554/Streaming/Channels/102";
    expect(redactUrl(url)).toBe("rtsp://***@10.0.0.5:554/Streaming/Channels/102");
    const message = `[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\n${url}: Server returned 401; tried p@ss-w0rd and admin`;
    const redacted = redactCredentials(message, url);
    expect(redacted).toContain("rtsp://***@10.0.0.5:554");
    for (const secret of ["p%40ss-w0rd", "p@ss-w0rd", "admin"]) expect(redacted).not.toContain(secret);
    expect(redactUrl("rtsp://10.0.0.5/x")).toBe("rtsp://10.0.0.5/x");
  });
});

describe("cameras: the frame rate follows the car", () => {
  const open = { floor: 1, door: "open" as const, moving: false, direction: "none" as const, mode: "normal" as const };

  it("asks for the full rate only with doors open or opening on a stopped car in normal mode", () => {
    expect(wantsFullRate(open)).toBe(true);
    expect(wantsFullRate({ ...open, door: "opening" })).toBe(true);
    expect(wantsFullRate({ ...open, door: "closing" })).toBe(false);
    expect(wantsFullRate({ ...open, moving: true })).toBe(false);
    expect(wantsFullRate({ ...open, mode: "fire" })).toBe(false);
    expect(wantsFullRate(null)).toBe(false);
  });

  it("passes every frame at the full rate and one per idle interval otherwise, jitter or not", () => {
    const gate = new RateGate({ open: 5, idle: 0.5 });
    // 60 s of frames at 5 fps, each up to 80 ms late
    const times = Array.from({ length: 300 }, (_, i) => i * 200 + ((i * 37) % 80));
    const idle = times.filter((t) => gate.pass(t)).length;
    expect(idle).toBeGreaterThanOrEqual(29);
    expect(idle).toBeLessThanOrEqual(31);
    gate.setFull(true);
    expect(times.filter((t) => gate.pass(60_000 + t)).length).toBe(300);
  });

  it("lets the first frame after the doors open through at once", () => {
    const gate = new RateGate({ open: 5, idle: 0.5 });
    expect(gate.pass(0)).toBe(true);
    expect(gate.pass(200)).toBe(false);
    gate.setFull(true);
    expect(gate.pass(400)).toBe(true);
    gate.setFull(false);
    expect(gate.pass(600)).toBe(false);
    expect(gate.pass(2_400)).toBe(true);
  });
});

describe("cameras: config", () => {
  it("defaults every key, and refuses a URL that is not RTSP without echoing it", () => {
    const cfg = camerasConfigSchema.parse({ lifts: { A1: { url: "rtsp://u:p@10.0.0.5:554/102" } } });
    expect(cfg).toMatchObject({ enabled: true, width: 640, fps: { open: 5, idle: 0.5 }, staleMs: 10_000, backoff: { minMs: 1_000, maxMs: 60_000 } });
    expect(parseConfig({}).cameras.lifts).toEqual({});
    let message = "";
    try {
      parseConfig({ cameras: { lifts: { A1: { url: "http://u:topsecret@10.0.0.5/x" } }, fps: { open: 1, idle: 2 } } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("cameras.lifts.A1.url: must be an rtsp:// or rtsps:// URL");
    expect(message).toContain("cameras.fps.idle");
    expect(message).not.toContain("topsecret");
    expect(() => parseConfig({ cameras: { lifts: { "A 1": { url: "rtsp://h/x" } } } })).toThrow(/cameras\.lifts/);
    expect(() => parseConfig({ cameras: { fps: { opn: 5 } } })).toThrow(/cameras\.fps\.opn/);
  });
});
