import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allMeasurements } from "../gateway/measurements.ts";
import { schemaMarkdown } from "../gateway/schema-doc.ts";

describe("docs/schema.md", () => {
  it("is what the measurement registry says (regenerate: node bin/linli.js schema > docs/schema.md)", () => {
    expect(readFileSync("docs/schema.md", "utf8")).toBe(schemaMarkdown(allMeasurements));
  });

  it("names every measurement the issue asks for, each tagged with site", () => {
    const names = allMeasurements.map((m) => m.name);
    for (const required of ["lift_state", "gate_pass", "charger_port", "charger_alarm", "charger_session", "throw_event", "gateway"]) expect(names).toContain(required);
    for (const m of allMeasurements) expect(m.tags).toContain("site");
  });
});
