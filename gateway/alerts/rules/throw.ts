import { z } from "zod";
import { throwCamera } from "../../../devices/throw.ts";
import { isChannel } from "../../../devices/types.ts";
import { evidenceRef } from "./evidence-ref.ts";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ eventId: z.string(), confidence: z.number(), floor: z.number().nullable(), fallMs: z.number().nullable() });

/** Every object thrown from height: the same camera, tower and floor within the dedup window is one incident. */
export const throwAlert = defineAlertType({
  names: { throw: { zh: "高空抛物", en: "Object thrown from height" } },
  details,
  text(d, _type, lang) {
    const zh = lang === "zh";
    const parts = [
      zh ? `置信度 ${d.confidence}` : `confidence ${d.confidence}`,
      d.floor === null ? (zh ? "楼层无法判断" : "floor unknown") : undefined,
      d.fallMs === null ? undefined : zh ? `下落约 ${(d.fallMs / 1000).toFixed(1)} 秒` : `fell for about ${(d.fallMs / 1000).toFixed(1)} s`,
    ];
    return parts.filter((p): p is string => p !== undefined).join(" · ");
  },
  onDeviceEvent(ev, cfg) {
    if (!isChannel(ev, throwCamera, "event") || !cfg.rules.throw) return [];
    const d = ev.data;
    return [
      raise({
        type: "throw",
        dedupKey: `throw:${ev.deviceId}:${d.building}:${d.floor ?? "?"}`,
        severity: cfg.severity.throw,
        place: { site: ev.site, building: d.building, ...(d.floor === null ? {} : { floor: d.floor }), kind: ev.kind, device: ev.deviceId },
        summary: `confidence ${d.confidence}${d.floor === null ? ", floor unknown" : ""}`,
        details: { eventId: d.eventId, confidence: d.confidence, floor: d.floor, fallMs: d.track.at(-1)?.t ?? null } satisfies z.infer<typeof details>,
        evidence: [...evidenceRef("snapshot", d.snapshot, d.snapshotUrl), ...evidenceRef("clip", d.clip, d.clipUrl)],
        ts: ev.ts,
      }),
    ];
  },
});
