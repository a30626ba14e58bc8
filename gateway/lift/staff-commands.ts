import { join } from "node:path";
import type { Core } from "../core.ts";
import type { RaiseAlert } from "./alert.ts";
import { AuditLog } from "./audit-log.ts";
import type { LiftConfig } from "./config.ts";
import type { StaffAudit } from "./events.ts";
import type { GuardRunner } from "./guard-runner.ts";
import type { StaffCommand, StaffResponse } from "./staff.ts";

/**
 * Staff commands to the guards, however they arrive (MQTT or HTTP): applied, audited to
 * dataDir/lift/audit.jsonl, the log, the bus and an info alert, and answered.
 */
export class StaffCommands {
  readonly #audit: AuditLog;

  constructor(
    private readonly core: Core,
    private readonly cfg: LiftConfig,
    private readonly guards: GuardRunner,
    private readonly alert: RaiseAlert,
  ) {
    this.#audit = new AuditLog(join(core.dataDir, "lift", "audit.jsonl"));
  }

  async apply(liftId: string, cmd: StaffCommand, via: StaffAudit["via"]): Promise<StaffResponse> {
    const base = { lift: liftId, action: cmd.action, ...(cmd.requestId ? { requestId: cmd.requestId } : {}) };
    if (!this.guards.has(liftId) && !(liftId in this.cfg.lifts)) return { ...base, ok: false, error: `unknown lift ${liftId}` };
    const guard = this.guards.guardOf(liftId);
    const now = Date.now();
    const minutes = Math.min(cmd.minutes ?? 60, this.cfg.maxDisableMinutes);
    const hold = guard.hold;
    let result: string;
    let disabledUntil: number | undefined;
    if (cmd.action === "release") {
      this.guards.run(guard, guard.staffRelease(now));
      result = hold ? `released hold ${hold.id}` : "no hold to release";
    } else if (cmd.action === "disable") {
      disabledUntil = now + minutes * 60_000;
      this.guards.run(guard, guard.staffDisable(disabledUntil, now));
      result = `disabled for ${minutes} min until ${new Date(disabledUntil).toISOString()}${hold ? `; released hold ${hold.id}` : ""}`;
    } else {
      this.guards.run(guard, guard.staffEnable(now));
      result = "enabled";
    }
    await this.guards.settled(liftId); // the release is on the controller before we answer
    const audit: StaffAudit = {
      site: this.core.config.site,
      lift: liftId,
      ts: now,
      action: cmd.action,
      by: cmd.by,
      via,
      result,
      ...(cmd.action === "disable" ? { minutes } : {}),
      ...(cmd.requestId ? { requestId: cmd.requestId } : {}),
    };
    this.core.log.warn({ audit }, `lift staff command: ${cmd.action} ${liftId} by ${cmd.by}`);
    try {
      await this.#audit.append(audit);
    } catch (err) {
      this.core.log.error({ err, audit }, "could not append to the lift audit log");
    }
    this.core.bus.emit("lift.staff", audit);
    this.alert(liftId, "staff", "info", `${cmd.action} by ${cmd.by} via ${via}: ${result}`);
    return { ...base, ok: true, result, ...(disabledUntil === undefined ? {} : { disabledUntil }) };
  }
}
