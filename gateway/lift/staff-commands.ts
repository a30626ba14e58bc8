import { join } from "node:path";
import type { Core } from "../core.ts";
import type { RaiseAlert } from "./alert.ts";
import { AuditLog } from "../audit-log.ts";
import type { LiftConfig } from "./config.ts";
import type { StaffAudit } from "./events.ts";
import { FalseHoldCounter } from "./false-holds.ts";
import { verdictPoint } from "./records.ts";
import type { GuardRunner } from "./guard-runner.ts";
import type { StaffCommand, StaffResponse } from "./staff.ts";

/**
 * Staff commands to the guards, however they arrive (MQTT or HTTP): applied, audited to
 * dataDir/lift/audit.jsonl, the log, the bus and an info alert, and answered.
 */
export class StaffCommands {
  readonly #audit: AuditLog;
  readonly #falseHolds: FalseHoldCounter;

  constructor(
    private readonly core: Core,
    private readonly cfg: LiftConfig,
    private readonly guards: GuardRunner,
    private readonly alert: RaiseAlert,
  ) {
    this.#audit = new AuditLog(join(core.dataDir, "lift", "audit.jsonl"));
    this.#falseHolds = new FalseHoldCounter(cfg.falseHolds.alertAfter, cfg.falseHolds.windowHours * 3_600_000);
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
    const holdId = cmd.holdId ?? hold?.id;
    if (cmd.verdict && !holdId) return { ...base, ok: false, error: "no hold to give a verdict on: name it with holdId" };
    if (cmd.action === "release") {
      this.guards.run(guard, guard.staffRelease(now));
      result = hold ? `released hold ${hold.id}` : "no hold to release";
      if (cmd.verdict) result += `; verdict on ${holdId}: ${cmd.verdict === "ebike" ? "e-bike" : "no e-bike (false hold)"}`;
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
      ...(holdId && (cmd.verdict || hold) ? { holdId } : {}),
      ...(cmd.verdict ? { verdict: cmd.verdict } : {}),
    };
    this.core.log.warn({ audit }, `lift staff command: ${cmd.action} ${liftId} by ${cmd.by}`);
    try {
      await this.#audit.append(audit);
    } catch (err) {
      this.core.log.error({ err, audit }, "could not append to the lift audit log");
    }
    this.core.bus.emit("lift.staff", audit);
    if (audit.verdict && audit.holdId) this.core.writePoint(verdictPoint({ site: audit.site, lift: liftId, verdict: audit.verdict, holdId: audit.holdId, by: cmd.by, ts: now }));
    this.alert(liftId, "staff", "info", `${cmd.action} by ${cmd.by} via ${via}: ${result}`);
    if (cmd.verdict === "no_ebike") this.#countFalseHold(liftId, now);
    return { ...base, ok: true, result, ...(disabledUntil === undefined ? {} : { disabledUntil }), ...(audit.holdId ? { holdId: audit.holdId } : {}) };
  }

  #countFalseHold(liftId: string, now: number): void {
    const count = this.#falseHolds.record(liftId, now);
    if (count === undefined) return;
    const hours = this.cfg.falseHolds.windowHours;
    this.alert(liftId, "false_holds", "warning", `${count} holds of lift ${liftId} in ${hours} h were called false by staff: check its camera, or label its frames and retrain the model`, { falseHolds: { count, windowHours: hours } });
  }
}
