import { join } from "node:path";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { addLearningApi } from "./api.ts";
import { registerDatasetCommands } from "./cli.ts";
import { FrameCollector } from "./collector.ts";
import { learningConfigSchema, type LearningConfig } from "./config.ts";
import { addLabellingPage } from "./console/routes.ts";
import { verdictLabels } from "./feedback.ts";
import { addModelsApi } from "./models-api.ts";
import { FrameStore } from "./store.ts";

const DAY = 86_400_000;
const SWEEP_MS = 3_600_000;

export const learningFramesFile = (dataDir: string) => join(dataDir, "learning", "frames.db");

/**
 * Site learning: keeps the lift frames worth a label, takes staff's labels (the labelling page, and
 * hold verdicts from the lift guard's staff commands), and serves the models section where an
 * administrator promotes a model trained on them. Frames are personal data: they live in the core's
 * evidence store, behind a login, and go with its retention (or sooner, `retentionDays`).
 */
export class LearningFeature implements Feature {
  readonly name = "learning";
  #store: FrameStore | undefined;
  #sweep: NodeJS.Timeout | undefined;
  readonly #metricNames = ["linli_learning_frames_kept_total", "linli_learning_frames_skipped_total"];

  constructor(
    private readonly core: Core,
    private readonly cfg: LearningConfig,
  ) {}

  async start(): Promise<void> {
    const { core, cfg } = this;
    const store = new FrameStore(learningFramesFile(core.dataDir));
    this.#store = store;
    const collector = new FrameCollector(core, cfg, store, core.metrics);
    collector.listen();
    core.bus.on("lift.staff", (a) => {
      if (a.site !== core.config.site || !a.verdict || !a.holdId) return;
      const verdict = a.verdict;
      const frames = store.applyVerdict(a.holdId, verdict, (f) => verdictLabels(f, verdict), a.by, a.ts);
      core.log.info({ holdId: a.holdId, verdict, frames: frames.length, by: a.by }, "hold verdict labelled its frames");
    });
    addLearningApi(core, cfg, store, collector);
    addModelsApi(core, store);
    addLabellingPage(core);
    this.#expire();
    this.#sweep = setInterval(() => this.#expire(), SWEEP_MS);
    this.#sweep.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    this.#store?.close();
    this.#store = undefined;
    for (const name of this.#metricNames) this.core.metrics.removeSingleMetric(name);
  }

  /** Frames past `retentionDays`, and those whose picture the evidence store's retention removed, leave the store. */
  #expire(): void {
    const store = this.#store;
    if (!store) return;
    const cutoff = this.cfg.retentionDays === null ? -Infinity : Date.now() - this.cfg.retentionDays * DAY;
    try {
      const gone = store.expire(cutoff, (id) => this.core.evidence.get(id) !== undefined);
      for (const f of gone) {
        const record = this.core.evidence.get(f.evidenceId);
        // only pictures site learning kept itself: a hold's frame is also its alert's evidence
        if (record?.source === "site-learning") this.core.evidence.remove(f.evidenceId);
      }
      if (gone.length > 0) this.core.log.info({ removed: gone.length }, "lift frames past their retention removed from site learning");
    } catch (err) {
      this.core.log.warn({ err }, "site learning retention sweep failed");
    }
  }
}

export const learningFeature = defineFeature({
  key: "learning",
  description: "site learning: lift frames kept for labelling, the labelling page, hold verdicts, model promotion (gateway/learning)",
  config: learningConfigSchema,
  measurements: [],
  commands: registerDatasetCommands,
  create: (core, config) => new LearningFeature(core, config),
});
