import { z } from "zod";

const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/, "letters, digits and . _ : - only");

/** One Dahua device the gateway attaches to (`eventManager.cgi?action=attach`): its URL, login and what it is in linli. */
const attachDevice = z.strictObject({
  /** the linli device id its events are ingested under (a gate or throw device of this site) */
  id,
  kind: z.enum(["gate", "throw"]),
  /** the device's HTTP base URL, e.g. http://192.168.1.108 (credentials here are refused: use user/password) */
  url: z
    .string()
    .url()
    .regex(/^https?:\/\/[^/@]+(:\d+)?\/?$/, "http(s)://host[:port] without credentials or path"),
  user: z.string().min(1),
  password: z.string(),
  /** event codes to attach to, e.g. [TrafficJunction]; [All] takes every code and maps what linli knows */
  codes: z.array(z.string().regex(/^[A-Za-z0-9_]+$/)).min(1).default(["All"]),
  /** throw cameras: the building the camera watches */
  building: z.string().min(1).max(32).optional(),
});

/** `push.dahua`: Dahua devices, both ways: the event stream the gateway attaches to, and the ITC cameras' picture upload. */
export const dahuaConfigSchema = z
  .strictObject({
    devices: z.array(attachDevice).default([]),
    /** seconds between the device's `Heartbeat` parts (the attach URL's heartbeat=N) */
    heartbeatS: z.number().int().min(1).max(60).default(5),
    /** a stream silent (no part, no heartbeat) this long is dropped and attached again */
    staleMs: z.number().int().min(1_000).default(20_000),
    /** reconnect delay after a fault, doubling with each fault in a row */
    backoff: z.strictObject({ minMs: z.number().int().min(10).default(1_000), maxMs: z.number().int().min(10).default(60_000) }).prefault({}),
    /** a plate event's direction (JunctionDirection, DrivingDirection[0], ITSAPI SnapInfo.Direction) -> in/out; unmapped fails the schema */
    direction: z.record(z.string(), z.enum(["in", "out"])).default({ Approach: "in", Leave: "out", Obverse: "in", Reverse: "out" }),
    /** event codes of a throw camera that become throw events (tripwire and intrusion rules) */
    throwCodes: z.array(z.string().min(1)).default(["CrossLineDetection", "CrossRegionDetection"]),
    /** ITC/ANPR picture upload (ITSAPI): the platform path the camera posts to */
    upload: z.strictObject({ path: z.string().startsWith("/").default("/push/dahua") }).prefault({}),
  })
  .prefault({});
export type DahuaConfig = z.infer<typeof dahuaConfigSchema>;
export type DahuaDeviceConfig = DahuaConfig["devices"][number];
