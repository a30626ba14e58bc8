import type { IncomingMessage } from "node:http";
import busboy from "busboy";

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The one picture of a phone's multipart upload (field `photo`), up to `maxBytes`. */
export function readPhoto(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 4, parts: 5 } });
    } catch (err) {
      return reject(new UploadError(400, (err as Error).message));
    }
    let photo: Buffer | undefined;
    let tooBig = false;
    bb.on("file", (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("limit", () => (tooBig = true));
      stream.on("end", () => {
        if (name === "photo") photo = Buffer.concat(chunks);
      });
    });
    bb.on("error", (err) => reject(new UploadError(400, `multipart: ${(err as Error).message}`)));
    bb.on("close", () => {
      if (tooBig) reject(new UploadError(413, `a photo over ${maxBytes} bytes`));
      else if (!photo || photo.length === 0) reject(new UploadError(400, "no photo part"));
      else resolve(photo);
    });
    req.pipe(bb);
  });
}
