import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { HttpRoutes } from "./routes.ts";
import { sendJson } from "./routes.ts";

/** The gateway's HTTP listener; what it serves is the route table's business. */
export class HttpServer {
  private constructor(private readonly server: Server) {}

  static async start(routes: HttpRoutes, host: string, port: number, log: Logger): Promise<HttpServer> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const handler = routes.find(req.method ?? "GET", url.pathname);
      if (!handler) {
        sendJson(res, 404, { error: "not found" });
        return;
      }
      Promise.resolve(handler(req, res, url)).catch((err: unknown) => {
        log.error({ err, path: url.pathname }, "HTTP handler failed");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new HttpServer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
