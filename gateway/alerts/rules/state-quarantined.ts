import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ store: z.string(), file: z.string(), movedTo: z.string(), reason: z.string() });

/**
 * A state file was damaged at start and moved aside for a fresh one: the gateway runs, but what the
 * file held (spooled points, alert history, labelled frames, waiting charger commands) is only in
 * the moved-aside copy. Staff resolve it once someone has looked at the copy.
 */
export const stateQuarantinedAlert = defineAlertType({
  names: { state_quarantined: { zh: "数据文件损坏，已隔离", en: "Damaged state file moved aside" } },
  details,
  text(d, _type, lang) {
    return lang === "zh" ? `${d.store} 数据库损坏（${d.reason}），已移至 ${d.movedTo}，以新文件继续运行` : `the ${d.store} database was damaged (${d.reason}); moved to ${d.movedTo}, running on a fresh one`;
  },
  onStateQuarantined(q, cfg) {
    if (!cfg.rules.stateQuarantined) return [];
    return [
      raise({
        type: "state_quarantined",
        dedupKey: `state_quarantined:${q.store}:${q.movedTo}`,
        severity: cfg.severity.stateQuarantined,
        place: { site: q.site, kind: "gateway", device: q.store },
        summary: `${q.file} moved to ${q.movedTo}: ${q.reason}`,
        details: { store: q.store, file: q.file, movedTo: q.movedTo, reason: q.reason } satisfies z.infer<typeof details>,
        evidence: [],
        ts: q.at,
      }),
    ];
  },
});
