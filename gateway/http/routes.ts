import type { IncomingMessage, ServerResponse } from "node:http";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

interface Route {
  method: string;
  /** exact path, or a prefix when it ends with "/" and `prefix` is set */
  path: string;
  prefix: boolean;
  handler: Handler;
}

/** What a feature sees of the route table: it adds routes (the returned function removes one). */
export interface RouteAdder {
  add(method: string, path: string, handler: Handler): () => void;
}

/** The gateway's HTTP route table; features add their pages and APIs in start(). */
export class HttpRoutes implements RouteAdder {
  readonly #routes: Route[] = [];

  /** Adds a route; returns the function that removes it. A path ending in "/*" matches a prefix. */
  add(method: string, path: string, handler: Handler): () => void {
    const prefix = path.endsWith("/*");
    const route: Route = { method: method.toUpperCase(), path: prefix ? path.slice(0, -1) : path, prefix, handler };
    this.#routes.push(route);
    return () => {
      const i = this.#routes.indexOf(route);
      if (i >= 0) this.#routes.splice(i, 1);
    };
  }

  /** A view of this table for one feature: close() removes every route added through it. */
  scope(): RouteAdder & { close(): void } {
    const removers = new Set<() => void>();
    return {
      add: (method, path, handler) => {
        const off = this.add(method, path, handler);
        const remove = () => {
          removers.delete(remove);
          off();
        };
        removers.add(remove);
        return remove;
      },
      close: () => {
        for (const off of [...removers]) off();
      },
    };
  }

  find(method: string, pathname: string): Handler | undefined {
    const m = method.toUpperCase();
    const matches = (r: Route) => (r.prefix ? pathname.startsWith(r.path) : pathname === r.path);
    return this.#routes.find((r) => r.method === m && matches(r))?.handler;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body up to a cap, so a client cannot exhaust memory. */
export async function readBody(req: IncomingMessage, maxBytes = 1_048_576): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error(`request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON request body up to `maxBytes` (an empty body is `{}`), or undefined when it is not JSON or too big. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  try {
    const raw = (await readBody(req, maxBytes)).toString("utf8").trim();
    return raw ? JSON.parse(raw) : {};
  } catch {
    return undefined;
  }
}
