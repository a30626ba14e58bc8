import type { Dashboard } from "@grafana/schema";
import { chargers } from "./chargers.ts";
import { gates } from "./gates.ts";
import { gateway } from "./gateway.ts";
import { lifts } from "./lifts.ts";
import { overview } from "./overview.ts";
import { throws } from "./throws.ts";

/** Every board, by the file it is written to in dashboards/. */
export const boards: ReadonlyArray<{ file: string; dashboard: Dashboard }> = [
  { file: "linli-overview.json", dashboard: overview },
  { file: "linli-lifts.json", dashboard: lifts },
  { file: "linli-gates.json", dashboard: gates },
  { file: "linli-chargers.json", dashboard: chargers },
  { file: "linli-throws.json", dashboard: throws },
  { file: "linli-gateway.json", dashboard: gateway },
];

/** The JSON as committed: two-space indent and a final newline. */
export function render(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
