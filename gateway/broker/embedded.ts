import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";
import type { InboundMessage, MqttLink, PublishOptions } from "./link.ts";

export interface EmbeddedOptions {
  host: string;
  port: number;
}

type Deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void;

/**
 * The embedded aedes broker with its TCP listener. The gateway consumes in-process through aedes'
 * own subscription API: no socket, no re-encoding of packets, about twice the rate of a TCP client.
 */
export class EmbeddedBroker implements MqttLink {
  private constructor(
    readonly aedes: Aedes,
    private readonly server: Server,
  ) {}

  static async start(options: EmbeddedOptions): Promise<EmbeddedBroker> {
    const aedes = await Aedes.createBroker({ drainTimeout: 30_000, heartbeatInterval: 60_000 });
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new EmbeddedBroker(aedes, server);
  }

  /** The bound address: useful when the port was 0 (tests). */
  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  async subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<() => Promise<void>> {
    const deliver: Deliver = (packet, cb) => {
      try {
        handler({ topic: packet.topic, payload: typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload });
      } finally {
        cb();
      }
    };
    await new Promise<void>((resolve) => this.aedes.subscribe(filter, deliver as never, resolve));
    return () => new Promise<void>((resolve) => this.aedes.unsubscribe(filter, deliver as never, resolve));
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish(
        { cmd: "publish", topic, payload: typeof payload === "string" ? Buffer.from(payload) : payload, qos: options.qos ?? 0, retain: options.retain ?? false, dup: false },
        (err?: Error | null) => (err ? reject(err) : resolve()),
      ),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}
