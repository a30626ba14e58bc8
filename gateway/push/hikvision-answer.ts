import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../http/routes.ts";
import type { PushOutcome } from "./refusal.ts";

/**
 * The answer a Hikvision device expects from its alarm host: an ISAPI ResponseStatus (statusCode
 * 1 "OK" when taken). A device that gets anything else for an event keeps resending it, so
 * duplicates, heartbeats and event types linli does not take are OK too. linli's own fields
 * (status, eventId, evidence, detail) ride along for people reading the answer.
 */
const STATUS: Record<PushOutcome, { statusCode: number; statusString: string; subStatusCode: string }> = {
  accepted: { statusCode: 1, statusString: "OK", subStatusCode: "ok" },
  duplicate: { statusCode: 1, statusString: "OK", subStatusCode: "ok" },
  ignored: { statusCode: 1, statusString: "OK", subStatusCode: "ok" },
  heartbeat: { statusCode: 1, statusString: "OK", subStatusCode: "ok" },
  unauthorized: { statusCode: 4, statusString: "Invalid Operation", subStatusCode: "unAuthorized" },
  forbidden: { statusCode: 4, statusString: "Invalid Operation", subStatusCode: "invalidOperation" },
  oversize: { statusCode: 6, statusString: "Invalid Content", subStatusCode: "badParameters" },
  malformed: { statusCode: 5, statusString: "Invalid XML Format", subStatusCode: "badXmlFormat" },
  rejected: { statusCode: 6, statusString: "Invalid Content", subStatusCode: "badParameters" },
  // not taken: the device keeps the event and sends it again
  backpressure: { statusCode: 2, statusString: "Device Busy", subStatusCode: "deviceBusy" },
};

export function hikvisionStatus(res: ServerResponse, req: IncomingMessage, answer: { status: number; outcome: PushOutcome; body: Record<string, unknown> }): void {
  const requestURL = (req.url ?? "").split("?")[0];
  sendJson(res, answer.status, { requestURL, ...STATUS[answer.outcome], status: answer.outcome, ...answer.body });
}
