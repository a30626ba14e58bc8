import { timeText } from "../alerts/i18n.ts";
import type { Lang } from "../i18n.ts";
import type { RunQuery } from "./influxql.ts";
import type { Report } from "./model.ts";
import { reportPdf } from "./pdf.ts";
import { periodOf, type Period, type PeriodKind } from "./period.ts";
import { buildReport } from "./queries.ts";
import { reportTables, type Table } from "./tables.ts";
import { reportXlsx } from "./xlsx.ts";

export interface BuiltReport {
  report: Report;
  tables: Table[];
  when: (ts: number) => string;
}

/** Builds a period's report from InfluxDB and lays it out as tables, an xlsx and a PDF, in one language. */
export class Reports {
  constructor(
    private readonly run: RunQuery,
    readonly site: string,
    readonly timeZone: string,
    private readonly offlineAfterMs: number,
  ) {}

  period(kind: PeriodKind, date: string): Period {
    return periodOf(kind, date, this.timeZone);
  }

  async build(period: Period, lang: Lang): Promise<BuiltReport> {
    const report = await buildReport(this.run, this.site, period, this.offlineAfterMs);
    const when = (ts: number) => timeText(ts, this.timeZone);
    return { report, tables: reportTables(report, lang, when), when };
  }

  xlsx(b: BuiltReport, lang: Lang): Promise<Buffer> {
    return reportXlsx(b.report, b.tables, lang, b.when);
  }

  pdf(b: BuiltReport, lang: Lang): Promise<Buffer> {
    return reportPdf(b.report, b.tables, lang, b.when);
  }
}
