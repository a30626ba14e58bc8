import type { PeriodKind } from "./period.ts";

/** One report's figures, as the page, the xlsx, the PDF and the summary show them. */
export interface Report {
  site: string;
  kind: PeriodKind;
  /** the first day, YYYY-MM-DD */
  date: string;
  label: string;
  from: number;
  to: number;
  timeZone: string;
  builtAt: number;
  throws: { total: number; buildings: Array<{ building: string; throws: number; floors: Array<{ floor: number | null; throws: number }> }> };
  lifts: Array<{ lift: string; holds: number; falseHolds: number; meanHoldS: number | null }>;
  /** by shed: the charger tag is one shed's charger */
  sheds: Array<{ shed: string; kwh: number; sessions: number; alarms: number }>;
  gates: {
    methods: string[];
    /** hour of day 0-23 in the time zone, summed over the period's days */
    hours: Array<{ hour: number; byMethod: Record<string, number>; total: number }>;
    refusedByMethod: Record<string, number>;
    total: number;
  };
  devices: Array<{ kind: string; seen: number; online: number; offline: Array<{ device: string; lastSeen: number }> }>;
  alerts: Array<{ type: string; opened: number; acknowledged: number; within5m: number; within30m: number; over30m: number; meanAckMin: number | null }>;
  orders: Array<{ type: string; created: number; done: number; within4h: number; within24h: number; over24h: number; overdue: number; meanFinishH: number | null }>;
}
