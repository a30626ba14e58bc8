import type { IncomingMessage, ServerResponse } from "node:http";
import { evidenceId } from "../evidence/store.ts";
import { sendJson } from "../http/routes.ts";
import type { DahuaConfig } from "./dahua-config.ts";
import { MalformedUpload, mapTollgate } from "./dahua-map.ts";
import type { Snapshot } from "./hikvision.ts";
import { Refusal, type PushOutcome } from "./refusal.ts";

/**
 * Dahua ITC (ANPR) cameras' picture upload, ITSAPI: the camera POSTs JSON to its platform server,
 * `<path>/NotificationInfo/TollgateInfo` for each plate (the pictures base64 inside:
 * `Picture.CutoutPic` the plate crop, `Picture.NormalPic` / `VehiclePic` the scene) and
 * `<path>/NotificationInfo/KeepAlive` as its heartbeat. Both carry JSON; a body without `Picture`
 * is the heartbeat. The HTTP side (address, login, size cap) is PushIngest's, as for Hikvision.
 */
export type Upload =
  | { kind: "heartbeat" }
  | { kind: "event"; payload: Record<string, unknown>; pictures: Map<string, Buffer>; snapshot: Snapshot };

/** The scene picture is the gate event's snapshot; the plate crop only when it is all there is. */
const uploadSnapshot: Snapshot = {
  pick: (names) => names.find((n) => !n.startsWith("CutoutPic")) ?? names[0],
  ref: evidenceId,
};

/** Parses an ITSAPI upload body; a body that is not one is a 400 Refusal. */
export function readUpload(body: Buffer, ctx: { deviceId: string; config: Pick<DahuaConfig, "direction" | "throwCodes"> }): Upload {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new Refusal(400, "malformed", `not JSON: ${(err as Error).message}`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Refusal(400, "malformed", "not a JSON object");
  if (!("Picture" in json)) return { kind: "heartbeat" };
  try {
    const { payload, pictures } = mapTollgate(json, ctx);
    return { kind: "event", payload, pictures: new Map(pictures.map((p) => [p.name, p.bytes])), snapshot: uploadSnapshot };
  } catch (err) {
    if (err instanceof MalformedUpload) throw new Refusal(400, "malformed", err.message);
    throw err;
  }
}

/** Taken (or already taken, or a heartbeat): `Result: true`, which is what stops the camera resending. */
const TAKEN = new Set<PushOutcome>(["accepted", "duplicate", "ignored", "heartbeat"]);

/** The answer an ITC camera expects: `{"Result": true}` when the upload is taken; linli's own fields ride along. */
export function dahuaResult(res: ServerResponse, _req: IncomingMessage, answer: { status: number; outcome: PushOutcome; body: Record<string, unknown> }): void {
  sendJson(res, answer.status, { Result: TAKEN.has(answer.outcome), status: answer.outcome, ...answer.body });
}
