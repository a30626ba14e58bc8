import type { Command } from "commander";
import type { z } from "zod";
import type { Core } from "./core.ts";
import type { Measurement } from "./influx/point.ts";

/**
 * A running feature (detector, lift guard, alerts, ...). Its constructor only keeps the core and its
 * config; start() acquires what it needs; stop() releases all of it. Bus listeners and HTTP routes it
 * added are removed by the core after stop(), so a feature that forgets one does not leak it.
 */
export interface Feature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Every feature's config section can switch it off. */
export type FeatureConfigSchema = z.ZodType<{ enabled: boolean }, object>;

/**
 * What a feature declares about itself, in its own folder: its section of linli.yaml, the
 * measurements it writes, its CLI commands, and how to build it. Its bus events are declared in its
 * folder too, by merging into `GatewayEvents` (gateway/events.ts). The core iterates the list in
 * gateway/features.ts for config parsing, the measurement registry, docs/schema.md and start/stop.
 */
export interface FeatureModule<K extends string = string, S extends FeatureConfigSchema = FeatureConfigSchema, F extends Feature = Feature> {
  /** its key in linli.yaml */
  readonly key: K;
  /** one line for the config reference */
  readonly description: string;
  readonly config: S;
  readonly measurements: readonly Measurement[];
  /** `linli <command>` entries the feature brings (models, console ...) */
  readonly commands?: (program: Command) => void;
  create(core: Core, config: z.output<S>): F;
}

export function defineFeature<const K extends string, S extends FeatureConfigSchema, F extends Feature>(module: FeatureModule<K, S, F>): FeatureModule<K, S, F> {
  return module;
}
