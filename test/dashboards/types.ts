/**
 * The committed JSON, checked by tsc against @grafana/schema's Dashboard type. JSON imports widen
 * every string, so Grafana's string enums (threshold mode, colour mode, ...) are widened to string
 * here; everything else (required keys, numbers, arrays, nesting) is checked as Grafana declares it.
 * The sources in dashboards/src are checked against the exact types, enums included.
 */
import type { Dashboard } from "@grafana/schema";
import chargers from "../../dashboards/linli-chargers.json" with { type: "json" };
import gates from "../../dashboards/linli-gates.json" with { type: "json" };
import gateway from "../../dashboards/linli-gateway.json" with { type: "json" };
import lifts from "../../dashboards/linli-lifts.json" with { type: "json" };
import overview from "../../dashboards/linli-overview.json" with { type: "json" };
import throws from "../../dashboards/linli-throws.json" with { type: "json" };

/** T as JSON can spell it: string enums become string. */
export type Json<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends ReadonlyArray<infer U>
        ? Array<Json<U>>
        : T extends object
          ? { [K in keyof T]: Json<T[K]> }
          : T;

export const committedBoards: Record<string, Json<Dashboard>> = {
  "linli-overview.json": overview,
  "linli-lifts.json": lifts,
  "linli-gates.json": gates,
  "linli-chargers.json": chargers,
  "linli-throws.json": throws,
  "linli-gateway.json": gateway,
};
