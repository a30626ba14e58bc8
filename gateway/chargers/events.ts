/**
 * `charger.command_failed`: a port command was not carried out, either because the charger never
 * acknowledged it (`no_ack`, after every retry) or because it answered `ok: false` (`refused`).
 * The alerts feature raises `charger_command_failed` from it: a port that should be cut may still be live.
 */
export interface ChargerCommandFailed {
  site: string;
  charger: string;
  port: number;
  cmd: PortCommandName;
  seq: number;
  /** how many times the command was sent */
  attempts: number;
  outcome: "no_ack" | "refused";
  /** why the command was sent: the alarm type, or "staff" */
  reason: string;
  detail: string;
  ts: number;
}

export type PortCommandName = "port_off" | "port_on";

/** `charger.command_done`: the charger acknowledged a port command; a failure alert of that port can close. */
export interface ChargerCommandDone {
  site: string;
  charger: string;
  port: number;
  cmd: PortCommandName;
  seq: number;
  ts: number;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "charger.command_failed": ChargerCommandFailed;
    "charger.command_done": ChargerCommandDone;
  }
}
