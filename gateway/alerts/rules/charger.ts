import { z } from "zod";
import { charger } from "../../../devices/charger.ts";
import { isChannel } from "../../../devices/types.ts";
import type { Texts } from "../../i18n.ts";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ alarmId: z.string(), type: z.string(), value: z.number().nullable(), threshold: z.number().nullable() });

/** What a measured alarm measured, and in which unit; the others (smoke, a welded relay) carry no value worth a sentence. */
const measured: Partial<Record<string, { what: Texts; unit: string }>> = {
  charger_over_temp: { what: { zh: "温度", en: "temperature" }, unit: "°C" },
  charger_over_current: { what: { zh: "电流", en: "current" }, unit: " A" },
  charger_over_power: { what: { zh: "功率", en: "power" }, unit: " W" },
};

/** A charger's safety alarms (those in `rules.chargerAlarms`), one alert per charger, port and alarm type. */
export const chargerAlert = defineAlertType({
  names: {
    charger_over_temp: { zh: "充电桩过温", en: "Charger over-temperature" },
    charger_over_current: { zh: "充电桩过流", en: "Charger over-current" },
    charger_over_power: { zh: "充电桩过载", en: "Charger over-power" },
    charger_smoke: { zh: "充电桩烟雾", en: "Smoke at charger" },
    charger_relay_welded: { zh: "充电桩继电器粘连", en: "Charger relay welded" },
    charger_offline: { zh: "充电桩离线", en: "Charger offline" },
  },
  details,
  text(d, type, lang) {
    if (d.value === null) return undefined;
    const m = measured[type] ?? { what: { zh: "测量值", en: "value" }, unit: "" };
    const limit = d.threshold === null ? "" : lang === "zh" ? `（阈值 ${d.threshold}${m.unit}）` : ` (threshold ${d.threshold}${m.unit})`;
    return `${m.what[lang]} ${d.value}${m.unit}${limit}`;
  },
  onDeviceEvent(ev, cfg) {
    if (!isChannel(ev, charger, "alarm")) return [];
    const d = ev.data;
    if (!cfg.rules.chargerAlarms.includes(d.type)) return [];
    const value = d.value === undefined ? "" : `${d.value}${d.threshold === undefined ? "" : ` / ${d.threshold}`}`;
    return [
      raise({
        type: `charger_${d.type}`,
        dedupKey: `charger:${ev.deviceId}:${d.port ?? "-"}:${d.type}`,
        severity: cfg.severity.charger,
        place: { site: ev.site, kind: ev.kind, device: ev.deviceId, ...(d.port === undefined ? {} : { port: d.port }) },
        summary: `${d.type}${value ? ` ${value}` : ""}`,
        details: { alarmId: d.alarmId, type: d.type, value: d.value ?? null, threshold: d.threshold ?? null } satisfies z.infer<typeof details>,
        evidence: [],
        ts: ev.ts,
      }),
    ];
  },
});
