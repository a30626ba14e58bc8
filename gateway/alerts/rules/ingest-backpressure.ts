import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ reason: z.enum(["spool_full", "spool_unwritable"]) });

/**
 * The spool takes no more points (its bound under refuseNew, a full disk, an unwritable file): QoS 1
 * devices are not acknowledged and keep their data until it does, so nothing is lost yet, but
 * their own buffers are filling. Closed when the spool takes points again.
 */
export const ingestBackPressureAlert = defineAlertType({
  names: { ingest_backpressure: { zh: "数据暂存已满，设备数据未确认", en: "Spool full: device data not acknowledged" } },
  details,
  text(d, _type, lang) {
    if (d.reason === "spool_full") return lang === "zh" ? "暂存区已达上限（InfluxDB 未接收积压数据），QoS 1 设备消息暂不确认，设备会重发" : "the spool reached its bound (InfluxDB is not taking the backlog); QoS 1 device messages are not acknowledged and will be resent";
    return lang === "zh" ? "暂存文件无法写入（磁盘满或文件损坏），QoS 1 设备消息暂不确认，设备会重发" : "the spool file cannot be written (disk full or file damaged); QoS 1 device messages are not acknowledged and will be resent";
  },
  onBackPressure(b, cfg) {
    const key = `ingest_backpressure:${b.reason}`;
    if (b.state === "off") return [{ resolve: key, note: "the spool takes points again" }];
    if (!cfg.rules.backPressure) return [];
    return [
      raise({
        type: "ingest_backpressure",
        dedupKey: key,
        severity: cfg.severity.backPressure,
        place: { site: b.site, kind: "gateway", device: "spool" },
        summary: b.detail,
        details: { reason: b.reason } satisfies z.infer<typeof details>,
        evidence: [],
        ts: b.ts,
      }),
    ];
  },
});
