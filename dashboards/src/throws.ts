import type { VariableModel } from "@grafana/schema";
import { at, board, histogram, q, SITE, stat, table, timeseries, unitOf, WORSE } from "./kit.ts";

const FLOOR = "suffix: 层";
/** `sha256:<64 hex>` -> its first 20 hex digits, the evidence store's id after `ev-` */
const EVIDENCE_PATTERN = "^sha256:([0-9a-f]{20})[0-9a-f]{44}$";

/**
 * Where the evidence links point: the gateway console's `/evidence/<id>`, where the evidence store
 * keeps a snapshot as `ev-` + the first 20 hex digits of its SHA-256 (gateway/evidence/store.ts).
 */
const gatewayUrl: VariableModel = {
  type: "textbox",
  name: "gateway_url",
  label: "网关地址",
  description: "Base URL of the linli gateway's console; the events table links each snapshot to <gateway_url>/evidence/ev-<first 20 hex digits of its SHA-256> (log in to the console first).",
  query: "http://127.0.0.1:8080",
  current: { text: "http://127.0.0.1:8080", value: "http://127.0.0.1:8080" },
  hide: 0,
};

export const throws = board({
  uid: "linli-throws",
  title: "高空抛物",
  description: "High-altitude throws: events over time by building and by estimated floor, and a table of recent events with links to their evidence.",
  tags: ["throws"],
  from: "now-7d",
  variables: [gatewayUrl],
  panels: [
    stat({
      title: "抛物事件",
      description: "Throws seen in the range, all buildings.",
      unit: "short",
      steps: WORSE(1, 5),
      gridPos: at(0, 0, 4, 8),
      reduce: "sum",
      targets: [q("A", `SELECT sum("count") AS "throws" FROM "throw_event" WHERE ${SITE} AND $timeFilter`, { alias: "事件" })],
    }),
    timeseries({
      title: "各楼栋抛物事件",
      description: "Throws per building per interval (at least an hour).",
      unit: "short",
      steps: WORSE(1, 3),
      gridPos: at(4, 0, 20, 8),
      interval: "1h",
      style: "bars",
      stack: true,
      targets: [q("A", `SELECT sum("count") AS "throws" FROM "throw_event" WHERE ${SITE} AND $timeFilter GROUP BY time($__interval), "building" fill(0)`, { alias: "$tag_building 栋" })],
    }),
    timeseries({
      title: "事件楼层（按楼栋）",
      description: "Each throw at the floor it was estimated to come from, one colour per building (events with no floor estimate are left out). Floors above 20 are orange, above 30 red: the higher, the more dangerous.",
      unit: FLOOR,
      steps: WORSE(20, 30),
      gridPos: at(0, 8, 14, 9),
      style: "points",
      targets: [q("A", `SELECT "floor" AS "floor" FROM "throw_event" WHERE ${SITE} AND $timeFilter GROUP BY "building"`, { alias: "$tag_building 栋" })],
    }),
    histogram({
      title: "估计楼层分布",
      description: "How many throws came from each band of three floors (estimated origin floor).",
      unit: FLOOR,
      steps: WORSE(20, 30),
      gridPos: at(14, 8, 10, 9),
      bucketSize: 3,
      targets: [q("A", `SELECT "floor" AS "floor" FROM "throw_event" WHERE ${SITE} AND $timeFilter`, { alias: "楼层" })],
    }),
    table({
      title: "最近事件",
      description: "The latest 100 throws: building, camera, estimated floor, confidence, fall time and the snapshot, shown as its evidence id and linked to the gateway console's evidence page.",
      unit: "string",
      steps: [["transparent", null]],
      gridPos: at(0, 17, 24, 10),
      sortBy: "Time",
      targets: [
        q(
          "A",
          `SELECT "building" AS "building", "camera" AS "camera", "floor" AS "floor", "confidence" AS "confidence", "fall_ms" AS "fall_ms", "event_id" AS "event_id", "snapshot" AS "snapshot" FROM "throw_event" WHERE ${SITE} AND $timeFilter ORDER BY time DESC LIMIT 100`,
          { table: true },
        ),
      ],
      overrides: [
        unitOf("floor", FLOOR),
        unitOf("confidence", "percentunit"),
        unitOf("fall_ms", "ms"),
        {
          matcher: { id: "byName", options: "snapshot" },
          properties: [
            // the display text becomes the evidence id, and the link uses it
            { id: "mappings", value: [{ type: "regex", options: { pattern: EVIDENCE_PATTERN, result: { text: "ev-$1", color: "blue", index: 0 } } }] },
            { id: "links", value: [{ title: "查看证据 (evidence)", url: "${gateway_url}/evidence/${__value.text}", targetBlank: true }] },
            { id: "custom.cellOptions", value: { type: "auto" } },
          ],
        },
      ],
    }),
  ],
});
