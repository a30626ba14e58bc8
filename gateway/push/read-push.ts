import type { IncomingMessage } from "node:http";
import busboy from "busboy";
import { Refusal } from "./refusal.ts";

export interface PushBody {
  /** the event: the whole body, or the first multipart part that is XML or JSON */
  alert: Buffer;
  /** part name or file name -> bytes, JPEG parts only */
  pictures: Map<string, Buffer>;
}

/** Reads a raw or multipart body, refusing (413) as soon as the bytes received pass `maxBytes`. */
export function readPush(req: IncomingMessage, maxBytes: number): Promise<PushBody> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) return Promise.reject(new Refusal(413, "oversize", `${declared} bytes > ${maxBytes}`));
  return new Promise<PushBody>((resolve, reject) => {
    let size = 0;
    let done = false;
    const fail = (r: Refusal) => {
      if (done) return;
      done = true;
      req.unpipe();
      req.resume(); // let the rest drain so the client reads the answer
      reject(r);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new Refusal(413, "oversize", `over ${maxBytes} bytes`));
    });
    req.on("error", (err) => fail(new Refusal(400, "malformed", err.message)));
    const type = req.headers["content-type"] ?? "";
    if (!/^multipart\/form-data/i.test(type)) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => {
        if (!done) chunks.push(c);
      });
      req.on("end", () => {
        if (done) return;
        done = true;
        resolve({ alert: Buffer.concat(chunks), pictures: new Map() });
      });
      return;
    }
    let bb: busboy.Busboy;
    try {
      // latin1 for parts without a charset: busboy hands a part without a file name (a face
      // terminal's `Picture`) over as text, and only latin1 text gives its bytes back unchanged
      bb = busboy({ headers: req.headers, defCharset: "latin1", limits: { fieldSize: maxBytes, fileSize: maxBytes, files: 16, fields: 16, parts: 32 } });
    } catch (err) {
      fail(new Refusal(400, "malformed", (err as Error).message));
      return;
    }
    let alert: Buffer | undefined;
    const pictures = new Map<string, Buffer>();
    const isAlert = (name: string, mime: string, bytes: Buffer) => /xml|json/i.test(mime) || /\.(xml|json)$/i.test(name) || /^\s*[<{]/.test(bytes.subarray(0, 64).toString("latin1"));
    bb.on("field", (name, value, info) => {
      // a character past U+00FF means the part named its charset (UTF-8) and was decoded by it
      const bytes = Buffer.from(value, /[^\u0000-\u00ff]/.test(value) ? "utf8" : "latin1");
      if (/image\/jpe?g/i.test(info.mimeType) || (bytes[0] === 0xff && bytes[1] === 0xd8)) pictures.set(name, bytes);
      else if (alert === undefined && isAlert(name, info.mimeType, bytes)) alert = bytes;
    });
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const bytes = Buffer.concat(chunks);
        const fileName = info.filename || name;
        if (/image\/jpe?g/i.test(info.mimeType) || /\.jpe?g$/i.test(fileName) || (bytes[0] === 0xff && bytes[1] === 0xd8)) pictures.set(fileName, bytes);
        else if (alert === undefined && isAlert(fileName, info.mimeType, bytes)) alert = bytes;
      });
    });
    bb.on("error", (err) => fail(new Refusal(400, "malformed", `multipart: ${(err as Error).message}`)));
    bb.on("close", () => {
      if (done) return;
      done = true;
      if (alert === undefined) reject(new Refusal(400, "malformed", "no XML or JSON part (the event)"));
      else resolve({ alert, pictures });
    });
    req.pipe(bb);
  });
}
