import { typeNames as alertTypeNames } from "../alerts/rules/index.ts";
import type { Lang } from "../i18n.ts";
import { typeNames as orderTypeNames } from "../orders/strings.ts";
import type { Report } from "./model.ts";
import { deviceKinds } from "../../devices/index.ts";
import { L, methodNames, type Label } from "./strings.ts";

/** One section of a report as a table of cells: what the page, the xlsx and the PDF each lay out. */
export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

const round = (n: number | null, digits = 1): string | number => (n === null ? "–" : Math.round(n * 10 ** digits) / 10 ** digits);
const hh = (h: number) => `${String(h).padStart(2, "0")}:00–${String(h + 1).padStart(2, "0")}:00`;

/** Every section of a report, in the order the report reads. */
export function reportTables(r: Report, lang: Lang, when: (ts: number) => string): Table[] {
  const t = (k: Label) => L[k][lang];
  const name = (table: Record<string, Record<Lang, string>>, key: string) => table[key]?.[lang] ?? key;
  const floorText = (f: number | null) => (f === null ? t("floorUnknown") : String(f));
  return [
    {
      title: t("throws"),
      columns: [t("building"), t("floor"), t("count")],
      rows: [...r.throws.buildings.flatMap((b) => [[b.building, t("total"), b.throws], ...b.floors.map((f) => [b.building, floorText(f.floor), f.throws])]), ...(r.throws.buildings.length ? [[t("total"), "", r.throws.total]] : [])],
    },
    { title: t("lifts"), columns: [t("lift"), t("holds"), t("falseHolds"), t("meanHold")], rows: r.lifts.map((l) => [l.lift, l.holds, l.falseHolds, round(l.meanHoldS)]) },
    { title: t("sheds"), columns: [t("shed"), t("kwh"), t("sessions"), t("alarms")], rows: r.sheds.map((s) => [s.shed, round(s.kwh, 2), s.sessions, s.alarms]) },
    {
      title: t("gates"),
      columns: [t("hour"), ...r.gates.methods.map((m) => name(methodNames, m)), t("total")],
      rows: r.gates.total === 0 ? [] : [...r.gates.hours.map((h) => [hh(h.hour), ...r.gates.methods.map((m) => h.byMethod[m] ?? 0), h.total]), [t("refused"), ...r.gates.methods.map((m) => r.gates.refusedByMethod[m] ?? 0), Object.values(r.gates.refusedByMethod).reduce((a, b) => a + b, 0)]],
    },
    {
      title: t("devices"),
      columns: [t("deviceKind"), t("seen"), t("online"), t("offline"), t("lastSeen")],
      rows: r.devices.filter((d) => d.seen > 0).map((d) => [deviceKinds.find((k) => k.kind === d.kind)?.names[lang] ?? d.kind, d.seen, d.online, d.offline.length, d.offline.map((o) => `${o.device} ${when(o.lastSeen)}`).join("; ")]),
    },
    {
      title: t("alerts"),
      columns: [t("alertType"), t("opened"), t("acknowledged"), t("within5m"), t("within30m"), t("over30m"), t("meanAck")],
      rows: r.alerts.map((a) => [name(alertTypeNames, a.type), a.opened, a.acknowledged, a.within5m, a.within30m, a.over30m, round(a.meanAckMin)]),
    },
    {
      title: t("orders"),
      columns: [t("orderType"), t("created"), t("done"), t("within4h"), t("within24h"), t("over24h"), t("overdue"), t("meanFinish")],
      rows: r.orders.map((o) => [name(orderTypeNames, o.type), o.created, o.done, o.within4h, o.within24h, o.over24h, o.overdue, round(o.meanFinishH)]),
    },
  ];
}
