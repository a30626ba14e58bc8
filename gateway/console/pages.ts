import type { Texts } from "../i18n.ts";
import type { Permission } from "../staff/roles.ts";

/**
 * One page of the console as the navigation lists it. Each feature registers its own page when it
 * starts, so the one navigation (nav.ts) links to what this gateway serves without any feature
 * importing another.
 */
export interface ConsolePage {
  /** the link's id is `nav-<key>`, which tests and page scripts select */
  key: string;
  path: string;
  label: Texts;
  /** what the signed-in role needs to be shown the link (the page checks it again); none: any signed-in role */
  permission?: Permission;
  /**
   * Place in the row, smallest first: alerts 10, devices 20, reports 30, parking 40, work orders 50,
   * labelling 60, accounts 90. A number rather than a list here, so a new feature needs no edit in
   * the console.
   */
  order: number;
}

/** What a feature sees of the registry: it adds its page (the returned function removes it) and reads them all. */
export interface ConsolePageAdder {
  add(page: ConsolePage): () => void;
  list(): readonly ConsolePage[];
}

/** The console's pages, in navigation order; features add theirs in start(). */
export class ConsolePages implements ConsolePageAdder {
  #pages: ConsolePage[] = [];

  add(page: ConsolePage): () => void {
    if (this.#pages.some((p) => p.key === page.key || p.path === page.path)) throw new Error(`console page ${page.key} (${page.path}) is already registered`);
    this.#pages = [...this.#pages, page].sort((a, b) => a.order - b.order);
    return () => {
      this.#pages = this.#pages.filter((p) => p !== page);
    };
  }

  list(): readonly ConsolePage[] {
    return this.#pages;
  }

  /** A view for one feature: close() removes every page added through it, as the route table's scope does. */
  scope(): ConsolePageAdder & { close(): void } {
    const removers = new Set<() => void>();
    return {
      add: (page) => {
        const off = this.add(page);
        const remove = () => {
          removers.delete(remove);
          off();
        };
        removers.add(remove);
        return remove;
      },
      list: () => this.list(),
      close: () => {
        for (const off of [...removers]) off();
      },
    };
  }
}
