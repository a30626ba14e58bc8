import type { DeviceKind, PointContext } from "../../devices/types.ts";
import type { Core, Extension } from "../extension.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { IngestPipeline } from "./pipeline.ts";
import { gatewayTopic, siteDeviceFilter } from "./topic.ts";

/**
 * Feeds every device message of the site through the ingest pipeline: accepted events go onto the
 * bus and their points to the writer; rejects are counted, logged at debug, put on the bus and
 * published to `linli/<site>/gateway/rejected` so an installer can watch what a device gets wrong.
 */
export class IngestRouter implements Extension {
  readonly name = "ingest";
  readonly #pipeline: IngestPipeline;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly core: Core,
    kinds: readonly DeviceKind[],
    private readonly metrics: GatewayMetrics,
    private readonly points: PointContext,
  ) {
    const { site, ingest } = core.config;
    this.#pipeline = new IngestPipeline(kinds, { site, maxClockSkewMs: ingest.maxClockSkewMs, dedupWindow: ingest.dedupWindow, maxBytes: ingest.maxBytes });
  }

  async start(): Promise<void> {
    const { site } = this.core.config;
    const rejectedTopic = gatewayTopic(site, "rejected");
    this.#unsubscribe = await this.core.mqtt.subscribe(siteDeviceFilter(site), (message) => {
      const outcome = this.#pipeline.accept(message);
      if (outcome.status === "ignored") return;
      if (outcome.status === "rejected") {
        const rejection = { topic: message.topic, reason: outcome.reason, detail: outcome.detail, receivedAt: Date.now() };
        this.metrics.rejected(outcome.reason);
        this.core.log.debug(rejection, "message rejected");
        this.core.bus.emit("device.rejected", rejection);
        this.core.mqtt.publish(rejectedTopic, JSON.stringify(rejection)).catch(() => {});
        return;
      }
      const { event, channel, restamped } = outcome;
      this.metrics.messageIn(event.kind, event.channel);
      if (restamped) this.metrics.restamped(restamped);
      for (const point of channel.points(event, this.points)) this.core.writePoint(point);
      this.core.bus.emit("device.event", event);
    });
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
