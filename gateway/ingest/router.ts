import type { DeviceKind, PointContext } from "../../devices/types.ts";
import type { Core } from "../core.ts";
import type { Feature } from "../feature.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { IngestPipeline } from "./pipeline.ts";
import { gatewayTopic, siteDeviceFilter } from "./topic.ts";

/**
 * Feeds every device message of the site through the ingest pipeline, which counts them: accepted
 * events go onto the bus and their points to the writer; rejects are logged at debug, put on the
 * bus and published to `linli/<site>/gateway/rejected` so an installer can watch what a device
 * gets wrong.
 */
export class IngestRouter implements Feature {
  readonly name = "ingest";
  readonly #pipeline: IngestPipeline;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly core: Core,
    kinds: readonly DeviceKind[],
    metrics: GatewayMetrics,
    pointContext: PointContext,
  ) {
    const { site, ingest } = core.config;
    this.#pipeline = new IngestPipeline(kinds, { site, maxClockSkewMs: ingest.maxClockSkewMs, dedupWindow: ingest.dedupWindow, maxBytes: ingest.maxBytes, pointContext, counters: metrics });
  }

  async start(): Promise<void> {
    const { site } = this.core.config;
    const rejectedTopic = gatewayTopic(site, "rejected");
    this.#unsubscribe = await this.core.mqtt.subscribe(siteDeviceFilter(site), (message) => {
      const outcome = this.#pipeline.accept(message);
      if (outcome.status === "ignored") return;
      if (outcome.status === "rejected") {
        const rejection = { topic: message.topic, reason: outcome.reason, detail: outcome.detail, receivedAt: Date.now() };
        this.core.log.debug(rejection, "message rejected");
        this.core.bus.emit("device.rejected", rejection);
        this.core.mqtt.publish(rejectedTopic, JSON.stringify(rejection)).catch(() => {});
        return;
      }
      for (const point of outcome.points) this.core.writePoint(point);
      this.core.bus.emit("device.event", outcome.event);
    });
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
