import type { z } from "zod";
import type { Core } from "./core.ts";
import type { ConsolePages } from "./console/pages.ts";
import type { EventBus } from "./events.ts";
import type { Feature, FeatureConfigSchema, FeatureModule } from "./feature.ts";
import type { HttpRoutes } from "./http/routes.ts";

/** The core as the gateway holds it: the whole bus, route table and console pages, of which each feature gets a view. */
export interface HostCore extends Omit<Core, "bus" | "http" | "pages"> {
  bus: EventBus;
  http: HttpRoutes;
  pages: ConsolePages;
}

/**
 * One started feature. The feature sees the bus, the routes and the console pages through views of
 * its own, so that stop() removes every listener, route and page it added, whatever the feature
 * itself remembered.
 */
export class FeatureHost<F extends Feature = Feature> {
  private constructor(
    readonly feature: F,
    /** the feature's key in linli.yaml */
    readonly name: string,
    private readonly release: () => void,
  ) {}

  static async start<K extends string, S extends FeatureConfigSchema, F extends Feature>(module: FeatureModule<K, S, F>, core: HostCore, config: z.output<S>): Promise<FeatureHost<F>> {
    const bus = core.bus.scope();
    const http = core.http.scope();
    const pages = core.pages.scope();
    // the core itself behind the views, so a service replaced on the core later is the one the feature uses
    const view: Core = Object.assign(Object.create(core) as HostCore, { bus, http, pages });
    const feature = module.create(view, config);
    const release = () => {
      bus.close();
      http.close();
      pages.close();
    };
    try {
      await feature.start();
    } catch (err) {
      release();
      throw err;
    }
    return new FeatureHost(feature, module.key, release);
  }

  async stop(): Promise<void> {
    try {
      await this.feature.stop();
    } finally {
      this.release();
    }
  }
}

/**
 * Starts the enabled features of a list in order, each with its section of the config; a disabled
 * one is not even built. On a failure the ones already started are stopped again.
 */
export async function startFeatures(modules: readonly FeatureModule<string, any, Feature>[], core: HostCore): Promise<FeatureHost[]> {
  const hosts: FeatureHost[] = [];
  const sections = core.config as unknown as Record<string, { enabled: boolean }>;
  try {
    for (const module of modules) {
      const section = sections[module.key];
      if (!section?.enabled) {
        core.log.info(`${module.key} disabled in config`);
        continue;
      }
      hosts.push(await FeatureHost.start(module, core, section));
    }
  } catch (err) {
    for (const host of hosts.reverse()) await host.stop().catch(() => {});
    throw err;
  }
  return hosts;
}
