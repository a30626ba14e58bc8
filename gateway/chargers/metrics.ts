import { Counter, type Registry } from "prom-client";

/** The chargers feature's Prometheus counters, registered on the gateway's registry and removed again on stop. */
export function chargerMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    commands: new Counter({ name: "linli_charger_commands_total", help: "Port commands issued, by command and what triggered them (alarm, staff)", labelNames: ["cmd", "trigger"], registers }),
    retries: new Counter({ name: "linli_charger_command_retries_total", help: "Port commands sent again because no ack came in time", labelNames: ["cmd"], registers }),
    giveUps: new Counter({ name: "linli_charger_command_give_ups_total", help: "Port commands not carried out: never acknowledged, or refused by the charger", labelNames: ["cmd", "outcome"], registers }),
    acks: new Counter({ name: "linli_charger_acks_total", help: "Acks from chargers, by result (ok, refused, unknown seq, malformed)", labelNames: ["result"], registers }),
    skipped: new Counter({ name: "linli_charger_alarms_not_cut_total", help: "Cut-on alarms that named no port, so no port could be cut", labelNames: ["type"], registers }),
    refused: new Counter({ name: "linli_charger_http_refused_total", help: "Staff port requests refused, by reason", labelNames: ["reason"], registers }),
  };
  const names = ["commands_total", "command_retries_total", "command_give_ups_total", "acks_total", "alarms_not_cut_total", "http_refused_total"].map((n) => `linli_charger_${n}`);
  return {
    ...metrics,
    remove(): void {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

export type ChargerMetrics = ReturnType<typeof chargerMetrics>;
