import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the proxy does to one write request:
 * - `hang`: takes the request and never answers, nor forwards it (the client's timeout fires);
 * - `status`: answers `status` itself (with `retryAfter` and `body` when given), nothing forwarded;
 * - `slow`: forwards it (so InfluxDB stores the points) and holds the answer `delayMs` more; past
 *   the client's timeout that is the nastiest case: written, yet reported as failed.
 */
export type Fault = { kind: "hang" } | { kind: "status"; status: number; retryAfter?: string; body?: string } | { kind: "slow"; delayMs: number };

export interface WriteSeen {
  /** when the request arrived, epoch ms */
  at: number;
  path: string;
  /** the line protocol sent */
  body: string;
  fault: Fault["kind"] | "none";
  /** what the client got; undefined while unanswered or when it gave up first */
  status?: number;
}

export interface FaultProxy {
  url: string;
  /** faults for the next write requests, one each, in order; after them requests pass */
  next(...faults: Fault[]): void;
  /** a fault for every write request from now on (after the `next` ones), until `always(undefined)` */
  always(fault: Fault | undefined): void;
  /** every write request so far */
  readonly writes: readonly WriteSeen[];
  stop(): Promise<void>;
}

const WRITE_PATHS = ["/write", "/api/v2/write"];

/**
 * A real HTTP server in front of a real InfluxDB (or VictoriaMetrics) that misbehaves on cue.
 * Only writes are faulted; queries, pings and database creation pass untouched.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const queue: Fault[] = [];
  let standing: Fault | undefined;
  const writes: WriteSeen[] = [];

  const forward = (req: IncomingMessage, body: Buffer, answer: (status: number, headers: IncomingMessage["headers"], data: Buffer) => void, fail: (err: Error) => void) => {
    const out = request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => answer(res.statusCode ?? 502, res.headers, Buffer.concat(chunks)));
    });
    out.on("error", fail);
    out.end(body);
  };

  const reply = (res: ServerResponse, status: number, headers: IncomingMessage["headers"], data: Buffer) => {
    if (res.destroyed) return;
    res.writeHead(status, headers);
    res.end(data);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? "/").split("?")[0] as string;
      const bad = (err: Error) => reply(res, 502, { "content-type": "text/plain" }, Buffer.from(err.message));
      if (!WRITE_PATHS.includes(path)) {
        forward(req, body, (s, h, d) => reply(res, s, h, d), bad);
        return;
      }
      const fault = queue.shift() ?? standing;
      const seen: WriteSeen = { at: Date.now(), path, body: body.toString(), fault: fault?.kind ?? "none" };
      writes.push(seen);
      const answer = (status: number, headers: IncomingMessage["headers"], data: Buffer) => {
        if (res.destroyed) return;
        seen.status = status;
        reply(res, status, headers, data);
      };
      switch (fault?.kind) {
        case "hang":
          return;
        case "status": {
          const headers: IncomingMessage["headers"] = { "content-type": "application/json" };
          if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
          answer(fault.status, headers, Buffer.from(fault.body ?? JSON.stringify({ error: `injected ${fault.status}` })));
          return;
        }
        case "slow":
          forward(req, body, (s, h, d) => setTimeout(() => answer(s, h, d), fault.delayMs), bad);
          return;
        default:
          forward(req, body, answer, bad);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    next: (...faults) => void queue.push(...faults),
    always: (fault) => {
      standing = fault;
    },
    writes,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
