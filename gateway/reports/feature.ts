import { join } from "node:path";
import { Counter } from "prom-client";
import type { Core } from "../core.ts";
import { defineFeature, type Feature } from "../feature.ts";
import { reportsConfigSchema, type ReportsConfig } from "./config.ts";
import { ReportFiles } from "./files.ts";
import { influxQuery } from "./influxql.ts";
import { periodSlug, previousPeriod, type PeriodKind } from "./period.ts";
import { Reports } from "./reports.ts";
import { addReportRoutes } from "./routes.ts";
import { ReportSchedule } from "./schedule.ts";
import { L } from "./strings.ts";
import { summaryMessage } from "./summary.ts";

/** A counter on the core's registry, reused when the feature is started again on the same registry. */
function counter(core: Core, name: string, help: string, labelNames: string[] = []): Counter {
  return (core.metrics.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [core.metrics] });
}

/**
 * The daily and weekly reports (issue 16, part 3): figures read from InfluxDB with the boards'
 * queries, shown on /reports, downloadable as xlsx and PDF, built on a schedule, kept under the data
 * dir and summarised to the chosen chat groups with links to the files.
 */
export class ReportsFeature implements Feature {
  readonly name = "reports";
  #schedule: ReportSchedule | undefined;

  constructor(
    private readonly core: Core,
    private readonly cfg: ReportsConfig,
  ) {}

  async start(): Promise<void> {
    const { core, cfg } = this;
    const timeZone = cfg.timeZone ?? core.config.alerts.timeZone;
    const reports = new Reports(influxQuery(core.config.influx), core.config.site, timeZone, cfg.offlineAfterMinutes * 60_000);
    const files = new ReportFiles(join(core.dataDir, "reports"));
    const built = counter(core, "linli_reports_built_total", "Scheduled reports built and kept, or failed, per kind", ["kind", "outcome"]);
    const summaries = counter(core, "linli_report_summaries_total", "Report summaries taken by chat groups (sent, or in a digest), or given up after retries", ["outcome"]);
    for (const chat of cfg.chats) if (!core.channels.resolve(chat.channel)) core.log.error({ channel: chat.channel, known: core.channels.names() }, "reports: no chat channel of that name (configure it under alerts.webhooks): its summaries will not be sent");
    const badRequests = counter(core, "linli_report_bad_requests_total", "Report requests refused for a malformed kind or date");
    addReportRoutes(core, reports, files, badRequests);
    core.pages.add({ key: "reports", path: "/reports", label: L.title, permission: "reports", order: 30 });

    const publicUrl = (core.config.alerts.publicUrl ?? `http://${core.config.http.host}:${core.config.http.port}/`).replace(/\/*$/, "/");
    const run = async (kind: PeriodKind, dueAt: number) => {
      const period = previousPeriod(kind, dueAt, timeZone);
      const slug = periodSlug(period);
      try {
        const report = await reports.build(period, cfg.language);
        files.keep(slug, { xlsx: await reports.xlsx(report, cfg.language), pdf: await reports.pdf(report, cfg.language) });
        files.prune(cfg.keepDays);
        built.inc({ kind, outcome: "ok" });
        core.log.info({ kind, period: report.report.label, slug }, "reports: scheduled report kept");
        const message = summaryMessage(report.report, cfg.language, {
          page: `${publicUrl}reports?kind=${kind}&date=${period.date}`,
          xlsx: `${publicUrl}reports/files/${slug}.xlsx`,
          pdf: `${publicUrl}reports/files/${slug}.pdf`,
        });
        for (const chat of cfg.chats.filter((c) => c.reports.includes(kind)))
          core.channels.send(chat.channel, message, {
            source: "reports",
            onOutcome: (outcome, error) => {
              summaries.inc({ outcome });
              if (outcome === "failed") core.log.error({ channel: chat.channel, slug, error }, "reports: the chat group did not take the summary after every retry");
            },
          });
      } catch (err) {
        built.inc({ kind, outcome: "failed" });
        core.log.error({ err, kind, slug }, "reports: the scheduled report could not be built");
      }
    };
    const { influx } = core.config;
    if (!influx.enabled || influx.version !== 1) {
      // the page says why on every request; the schedule would only fail each morning
      core.log.warn({ influx: { enabled: influx.enabled, version: influx.version } }, "reports: no InfluxDB 1.x to read, so no reports on a schedule");
      return;
    }
    this.#schedule = new ReportSchedule(cfg, timeZone, run);
    this.#schedule.start();
    core.log.info({ next: this.#schedule.next().map((n) => ({ kind: n.kind, at: new Date(n.at).toISOString() })), chats: cfg.chats.length }, "reports started");
  }

  async stop(): Promise<void> {
    this.#schedule?.stop();
    this.#schedule = undefined;
  }
}

export const reportsFeature = defineFeature({
  key: "reports",
  description: "daily and weekly reports from InfluxDB: the /reports page, xlsx and PDF files, a schedule that sends a summary to chat groups (gateway/reports)",
  config: reportsConfigSchema,
  measurements: [],
  create: (core, config) => new ReportsFeature(core, config),
});
