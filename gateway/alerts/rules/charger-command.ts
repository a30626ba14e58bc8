import { z } from "zod";
import { defineAlertType, raise } from "./rule.ts";

const details = z.object({ cmd: z.enum(["port_off", "port_on"]), seq: z.number(), attempts: z.number(), outcome: z.enum(["no_ack", "refused"]), reason: z.string() });

const commandNames = { port_off: { zh: "断电", en: "port off" }, port_on: { zh: "通电", en: "port on" } } as const;

/** A port command the charger never acknowledged or refused: a port cut for smoke may still be live, so staff go and look. */
export const chargerCommandAlert = defineAlertType({
  names: { charger_command_failed: { zh: "充电桩指令未执行", en: "Charger command not carried out" } },
  details,
  text(d, _type, lang) {
    const cmd = commandNames[d.cmd][lang];
    if (d.outcome === "refused") return lang === "zh" ? `充电桩拒绝${cmd}指令（${d.reason}）` : `the charger refused ${cmd} (${d.reason})`;
    return lang === "zh" ? `${cmd}指令发送 ${d.attempts} 次均未确认（${d.reason}）` : `${cmd} sent ${d.attempts} times, never acknowledged (${d.reason})`;
  },
  // a later command the charger carried out (staff cut the port again, say) closes the port's alert
  onChargerCommandDone: (d) => [{ resolve: `charger_command:${d.charger}:${d.port}`, note: `${d.cmd} acknowledged by the charger (seq ${d.seq})` }],
  onChargerCommandFailed(f, cfg) {
    if (!cfg.rules.chargerCommandFailed) return [];
    return [
      raise({
        type: "charger_command_failed",
        dedupKey: `charger_command:${f.charger}:${f.port}`,
        severity: cfg.severity.chargerCommandFailed,
        place: { site: f.site, kind: "charger", device: f.charger, port: f.port },
        summary: `${f.cmd} ${f.outcome}: ${f.detail}`,
        details: { cmd: f.cmd, seq: f.seq, attempts: f.attempts, outcome: f.outcome, reason: f.reason } satisfies z.infer<typeof details>,
        evidence: [],
        ts: f.ts,
      }),
    ];
  },
});
