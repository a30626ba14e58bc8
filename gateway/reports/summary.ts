import type { ChatMessage } from "../channels/types.ts";
import type { Lang } from "../i18n.ts";
import type { Report } from "./model.ts";
import { L } from "./strings.ts";

const fmt = (n: number, digits = 0) => (Math.round(n * 10 ** digits) / 10 ** digits).toLocaleString("en-US");

/** The few lines a chat group reads of a report, with links to the page and its files. */
export function summaryMessage(r: Report, lang: Lang, links: { page: string; xlsx: string; pdf: string }): ChatMessage {
  const zh = lang === "zh";
  const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
  const offline = sum(r.devices, (d) => d.offline.length);
  const opened = sum(r.alerts, (a) => a.opened);
  const acked = sum(r.alerts, (a) => a.acknowledged);
  const ackedLate = sum(r.alerts, (a) => a.over30m);
  const done = sum(r.orders, (o) => o.done);
  const overdue = sum(r.orders, (o) => o.overdue);
  const lines = zh
    ? [
        `高空抛物 ${fmt(r.throws.total)} 次`,
        `电梯拦截 ${fmt(sum(r.lifts, (l) => l.holds))} 次，其中误拦截 ${fmt(sum(r.lifts, (l) => l.falseHolds))} 次`,
        `充电 ${fmt(sum(r.sheds, (s) => s.kwh), 1)} kWh，${fmt(sum(r.sheds, (s) => s.sessions))} 次，充电告警 ${fmt(sum(r.sheds, (s) => s.alarms))} 条`,
        `门禁通行 ${fmt(r.gates.total)} 次`,
        `期末离线设备 ${fmt(offline)} 台`,
        `新告警 ${fmt(opened)} 条，已确认 ${fmt(acked)} 条（超过 30 分钟 ${fmt(ackedLate)} 条）`,
        `完工工单 ${fmt(done)} 张，逾期 ${fmt(overdue)} 张`,
        `[Excel](${links.xlsx}) · [PDF](${links.pdf})`,
      ]
    : [
        `Throws: ${fmt(r.throws.total)}`,
        `Lift holds: ${fmt(sum(r.lifts, (l) => l.holds))}, of them false: ${fmt(sum(r.lifts, (l) => l.falseHolds))}`,
        `Charging: ${fmt(sum(r.sheds, (s) => s.kwh), 1)} kWh in ${fmt(sum(r.sheds, (s) => s.sessions))} sessions, ${fmt(sum(r.sheds, (s) => s.alarms))} charger alarms`,
        `Gate passes: ${fmt(r.gates.total)}`,
        `Devices offline at the end: ${fmt(offline)}`,
        `Alerts: ${fmt(opened)} opened, ${fmt(acked)} acknowledged (${fmt(ackedLate)} after 30 min)`,
        `Work orders: ${fmt(done)} done, ${fmt(overdue)} overdue`,
        `[Excel](${links.xlsx}) · [PDF](${links.pdf})`,
      ];
  return { title: `${L[r.kind][lang]} ${r.site} ${r.label}`, lines, link: { text: L.summaryLink[lang], url: links.page }, tone: "info" };
}
