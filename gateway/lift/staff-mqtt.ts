import type { CommandVerdict } from "../commands/inbox.ts";
import type { Core } from "../core.ts";
import { guardCommandFilter, guardCommandLift, guardResultTopic } from "../ingest/topic.ts";
import { parseStaffCommand, type StaffResponse } from "./staff.ts";
import type { StaffCommands } from "./staff-commands.ts";

/**
 * Staff commands over MQTT request/response, on each lift's guard command topic. The core's command
 * inbox has verified them (envelope, sender, reply topic) whichever broker runs; a refusal is
 * answered on the lift's result topic. Returns the unsubscribe.
 */
export function serveStaffMqtt(core: Core, staff: StaffCommands): Promise<() => Promise<void>> {
  const site = core.config.site;
  const answer = async (liftId: string, verdict: CommandVerdict): Promise<{ topic: string; response: StaffResponse }> => {
    const topic = guardResultTopic(site, liftId);
    const refuse = (requestId: unknown, error: string) => ({ topic, response: { ok: false, lift: liftId, ...(typeof requestId === "string" ? { requestId } : {}), error } });
    // a payload that is no command at all is answered as it always was, without a reason code
    if (!verdict.ok) return refuse(verdict.requestId, verdict.reason === "bad_payload" ? verdict.detail : `${verdict.reason}: ${verdict.detail}`);
    const parsed = parseStaffCommand(verdict.command);
    if (!parsed.ok) return refuse(verdict.command.requestId, parsed.error);
    return { topic: parsed.command.responseTopic ?? topic, response: await staff.apply(liftId, parsed.command, "mqtt") };
  };
  return core.commands.subscribe(guardCommandFilter(site), async (verdict) => {
    const liftId = guardCommandLift(site, verdict.topic);
    if (liftId === undefined) return;
    try {
      const { topic, response } = await answer(liftId, verdict);
      await core.mqtt.publish(topic, JSON.stringify(response), { qos: 1 });
    } catch (err) {
      // the inbox does not wait for handlers: an error here must end here
      core.log.warn({ err, lift: liftId }, "staff command over MQTT not answered");
    }
  });
}
