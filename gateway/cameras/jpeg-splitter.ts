const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** Markers that stand alone, without a length: TEM, RST0-7, SOI, EOI. */
const standalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd9);

/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg's `-f image2pipe -c:v mjpeg` output) into single
 * images, from each SOI to its EOI. The header segments are stepped over by their lengths and only
 * the entropy-coded data is scanned, so an EOI inside an EXIF thumbnail or a table does not end an
 * image early. Bytes before an SOI are skipped, and an image growing past `maxBytes` is dropped, so
 * garbage on the pipe costs a counted drop, never unbounded memory.
 */
export class JpegSplitter {
  #buf: Buffer = Buffer.alloc(0);
  /** where parsing resumes in #buf; #buf always starts at an SOI once one was found */
  #pos = 0;
  #inScan = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onImage: (jpeg: Buffer) => void,
    private readonly onDrop: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      if (this.#pos === 0 && !this.#inScan && !this.#alignToSoi()) return;
      const found = this.#findEnd();
      if (found === undefined) {
        if (this.#buf.length > this.maxBytes) this.#drop();
        return;
      }
      if (!found.whole) {
        this.#drop();
        continue;
      }
      if (found.end > this.maxBytes) this.onDrop();
      else this.onImage(Buffer.from(this.#buf.subarray(0, found.end)));
      this.#restartAt(found.end);
    }
  }

  /** Moves #buf to its first SOI; false when none is there yet (a trailing 0xFF is kept). */
  #alignToSoi(): boolean {
    const at = this.#buf.indexOf(Buffer.from([MARKER, SOI]));
    if (at < 0) {
      const keep = this.#buf.at(-1) === MARKER ? 1 : 0;
      this.#buf = this.#buf.subarray(this.#buf.length - keep);
      return false;
    }
    this.#buf = this.#buf.subarray(at);
    this.#pos = 2;
    return true;
  }

  /**
   * Where this image ends: just past its EOI (whole), or where it turned out broken (a new SOI
   * before the EOI, no marker where one must be); undefined until more bytes come.
   */
  #findEnd(): { end: number; whole: boolean } | undefined {
    const buf = this.#buf;
    while (this.#pos + 1 < buf.length) {
      if (this.#inScan) {
        // entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or RST0-7, else a marker ends the scan
        const ff = buf.indexOf(MARKER, this.#pos);
        if (ff < 0 || ff + 1 >= buf.length) {
          this.#pos = ff < 0 ? buf.length : ff;
          return undefined;
        }
        const next = buf[ff + 1]!;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === MARKER) {
          this.#pos = next === MARKER ? ff + 1 : ff + 2;
          continue;
        }
        this.#inScan = false;
        this.#pos = ff;
        continue;
      }
      if (buf[this.#pos] !== MARKER) return { end: this.#pos, whole: false };
      const marker = buf[this.#pos + 1]!;
      if (marker === MARKER) {
        this.#pos += 1; // fill byte
        continue;
      }
      if (marker === EOI) return { end: this.#pos + 2, whole: true };
      if (marker === SOI) return { end: this.#pos, whole: false };
      if (standalone(marker)) {
        this.#pos += 2;
        continue;
      }
      if (this.#pos + 3 >= buf.length) return undefined;
      const length = buf.readUInt16BE(this.#pos + 2);
      this.#pos += 2 + length;
      if (marker === SOS) this.#inScan = true;
    }
    return undefined;
  }

  #restartAt(end: number): void {
    this.#buf = this.#buf.subarray(end);
    this.#pos = 0;
    this.#inScan = false;
  }

  /**
   * Gives up on the image at the start of #buf. The search for the next SOI resumes just after its
   * own, not where parsing stopped: a header cut short may have had its length step over the next one.
   */
  #drop(): void {
    this.onDrop();
    this.#restartAt(2);
  }
}
