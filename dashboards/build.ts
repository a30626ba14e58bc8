/**
 * Writes the boards' JSON from dashboards/src (typed against @grafana/schema):
 *   npx tsx dashboards/build.ts
 * test/dashboards.test.ts fails when the committed JSON and the sources disagree.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { boards, render } from "./src/index.ts";

const dir = import.meta.dirname;
for (const { file, dashboard } of boards) {
  writeFileSync(join(dir, file), render(dashboard));
  console.log(`wrote dashboards/${file}: ${dashboard.title} (${dashboard.panels?.length ?? 0} panels)`);
}
