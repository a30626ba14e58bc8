import { deviceKinds } from "../../devices/index.ts";
import { parseConfig } from "../../gateway/config.ts";
import { sinkFor } from "../../gateway/influx/connect.ts";
import { allMeasurements } from "../../gateway/measurements.ts";
import { pointContext } from "../../gateway/privacy.ts";
import { writePastDay } from "../../gateway/simulate/past-day.ts";

/**
 * The data the boards are proven against: a simulated day through the real ingest pipeline, as
 * `linli simulate --past-day` writes it (the detector's verdicts, lift holds, staff verdicts, the
 * alerts and work orders its events raise, car park counts), and nothing added by hand. The schema
 * check in dashboards.test.ts still holds every panel to docs/schema.md.
 */
export interface SeedOptions {
  url: string;
  site: string;
  /** epoch ms: the end of the simulated stretch */
  end: number;
  hours: number;
  seed: number;
  counts: Record<string, number>;
}

export async function seedDay(o: SeedOptions): Promise<{ points: number; messages: number }> {
  const config = parseConfig({ influx: { url: o.url } }, {});
  const sink = sinkFor(config.influx, allMeasurements);
  try {
    return await writePastDay(deviceKinds, allMeasurements, sink, pointContext(config.privacy), { site: o.site, seed: o.seed, hours: o.hours, end: o.end, counts: o.counts });
  } finally {
    await sink.close();
  }
}
