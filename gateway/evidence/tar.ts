import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** One file of an archive: its path inside it (forward slashes), its bytes and its modification time. */
export interface TarEntry {
  path: string;
  bytes: Buffer;
  mtimeMs: number;
}

const BLOCK = 512;

/** `value` as zero-padded octal in a field of `width` bytes (digits, then a NUL). */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(Math.floor(value).toString(8).padStart(width - 1, "0") + "\0", offset, width, "ascii");
}

/** A ustar path: up to 100 bytes in `name`, longer ones split at a slash into `prefix` (155) and `name`. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`${path}: too long for a tar header`);
}

function header(entry: TarEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(entry.path);
  h.write(name, 0, 100, "utf8");
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, entry.bytes.length);
  octal(h, 136, 12, entry.mtimeMs / 1000);
  h.write("0", 156, 1, "ascii"); // a regular file
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write("linli", 265, 32, "ascii");
  h.write("linli", 297, 32, "ascii");
  h.write(prefix, 345, 155, "utf8");
  // the checksum is the byte sum with its own field read as spaces
  h.fill(" ", 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/**
 * A POSIX ustar archive of `entries`, as one buffer: what any `tar` (and the archive tools of every
 * desktop) extracts, so a package can be handed over as one file without an archive library.
 */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e), e.bytes);
    const pad = (BLOCK - (e.bytes.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // the end of the archive
  return Buffer.concat(parts);
}

/** Every file under `dir`, sorted, under `root/` in the archive (so it extracts into one folder). */
export function tarFolder(dir: string, root: string): Buffer {
  const walk = (under: string): string[] =>
    readdirSync(under, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(under, e.name)) : e.isFile() ? [join(under, e.name)] : []));
  const entries = walk(dir)
    .sort()
    .map((file) => ({ path: `${root}/${relative(dir, file).split(sep).join("/")}`, bytes: readFileSync(file), mtimeMs: statSync(file).mtimeMs }));
  return tarArchive(entries);
}
