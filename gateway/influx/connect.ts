import type { Config } from "../config.ts";
import type { Measurement } from "./point.ts";
import type { Sink } from "./sink.ts";
import { V1Sink } from "./v1-sink.ts";
import { V2Sink } from "./v2-sink.ts";

/** The configured InfluxDB: 1.x or 2.x (both written as line protocol of our own, line-post.ts). */
export function sinkFor(influx: Config["influx"], measurements: readonly Measurement[]): Sink {
  const i = influx;
  return i.version === 1
    ? new V1Sink({ url: i.url, database: i.database, username: i.username, password: i.password, timeoutMs: i.timeoutMs }, measurements)
    : new V2Sink({ url: i.url, org: i.org, bucket: i.bucket, token: i.token, timeoutMs: i.timeoutMs }, measurements);
}
