import type { Logger } from "pino";
import { charger as chargerKind, type ChargerAck } from "../../devices/charger.ts";
import type { MqttLink } from "../broker/link.ts";
import { deviceCommandTopic } from "../ingest/topic.ts";
import { sealCommand } from "../security/envelope.ts";
import type { AuditLog } from "../audit-log.ts";
import type { ChargersConfig } from "./config.ts";
import type { ChargerCommandFailed, PortCommandName, ChargerCommandDone } from "./events.ts";
import type { ChargerMetrics } from "./metrics.ts";
import type { PendingCommands, Trigger, WaitingCommand } from "./pending-store.ts";

/**
 * On `linli/<site>/charger/<id>/cmd` (JSON, QoS 1, never retained: a retained port_on would switch
 * a port back on after the charger reboots):
 *   {"cmd":"port_off","port":3,"reason":"smoke","seq":7,"ts":1764300000000,"nonce":"…","expiresAt":1764300010000}
 * Sealed like the lift relay's commands (gateway/security/envelope.ts), so a captured port_on cannot
 * be replayed to re-energise a port that was cut for smoke.
 */
export interface PortCommand {
  cmd: PortCommandName;
  port: number;
  reason: string;
  seq: number;
  ts: number;
  nonce: string;
  expiresAt: number;
}

interface Pending extends WaitingCommand {
  timer: NodeJS.Timeout | undefined;
}

export interface CommanderDeps {
  mqtt: MqttLink;
  site: string;
  cfg: Pick<ChargersConfig, "ackTimeoutMs" | "retries" | "commandTtlMs">;
  audit: AuditLog;
  /** where waiting commands are kept, so a restart resumes them */
  store: PendingCommands;
  metrics: ChargerMetrics;
  log: Logger;
  failed(f: ChargerCommandFailed): void;
  done(d: ChargerCommandDone): void;
  now?: () => number;
}

/**
 * Sends port commands and sees each through: the same seq is sent again (with a fresh nonce and
 * expiry, since the old ones may be spent or late) until the charger acks it or the retries run
 * out. A newer command for the same port replaces an older one still waiting, so a retried
 * port_off can never follow the port_on staff sent after it. Waiting commands are kept on disk
 * and `resume` sends them again after a restart, under their own seq.
 */
export class PortCommander {
  /** the last seq issued or resumed, for when the store cannot count */
  #lastSeq = 0;
  /** by `<charger>/<seq>` */
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;

  constructor(private readonly deps: CommanderDeps) {
    this.#now = deps.now ?? Date.now;
  }

  /** Sends a command now; resolves with its seq once the first send was attempted. */
  async send(charger: string, port: number, cmd: PortCommandName, reason: string, source: Trigger): Promise<number> {
    const seq = this.#nextSeq();
    for (const [key, old] of this.#pending) {
      if (old.charger !== charger || old.port !== port) continue;
      this.#forget(key, old);
      this.#record("superseded", old, { bySeq: seq });
    }
    const p: Pending = { charger, port, cmd, reason, seq, source, attempts: 0, createdAt: this.#now(), timer: undefined };
    this.#pending.set(`${charger}/${p.seq}`, p);
    this.#persist("add", () => this.deps.store.add(p));
    this.deps.metrics.commands.inc({ cmd, trigger: source.trigger });
    await this.#transmit(p);
    return p.seq;
  }

  /** A charger's ack: ends the command it names, or is counted as unknown (late, or for a command this gateway never sent). */
  ack(charger: string, ack: ChargerAck): void {
    const key = `${charger}/${ack.seq}`;
    const p = this.#pending.get(key);
    if (!p) {
      this.deps.metrics.acks.inc({ result: "unknown" });
      void this.deps.audit.append({ at: this.#now(), event: "ack_unknown", charger, seq: ack.seq, ok: ack.ok, ...(ack.error ? { error: ack.error } : {}) }).catch((err: unknown) => this.#auditFailed(err));
      this.deps.log.warn({ charger, seq: ack.seq }, "charger ack for no command waiting");
      return;
    }
    this.#forget(key, p);
    this.deps.metrics.acks.inc({ result: ack.ok ? "ok" : "refused" });
    this.#record("ack", p, { ok: ack.ok, ...(ack.error ? { error: ack.error } : {}) });
    if (!ack.ok) this.#fail(p, "refused", ack.error ?? "the charger answered ok: false");
    else this.deps.done({ site: this.deps.site, charger: p.charger, port: p.port, cmd: p.cmd, seq: p.seq, ts: this.#now() });
  }

  /** An ack the ingest path refused (not JSON, or not the ack schema): it ends nothing, but is counted and audited. */
  malformedAck(charger: string, reason: string, detail: string): void {
    this.deps.metrics.acks.inc({ result: "malformed" });
    void this.deps.audit.append({ at: this.#now(), event: "ack_malformed", charger, reason, detail }).catch((err: unknown) => this.#auditFailed(err));
    this.deps.log.warn({ charger, reason, detail }, "malformed charger ack refused");
  }

  /**
   * At start: sends every command left waiting by the last run again now (its ack may have come
   * while no gateway listened), as a retry of the same seq with a fresh nonce and expiry. Its
   * sends so far count, so a command that had used its retries gets this one send and then the alert.
   */
  async resume(): Promise<number> {
    const resumed: Pending[] = this.deps.store.all().map((w) => ({ ...w, timer: undefined }));
    for (const p of resumed) {
      this.#lastSeq = Math.max(this.#lastSeq, p.seq);
      this.#pending.set(`${p.charger}/${p.seq}`, p);
      this.#record("resumed", p, { waitingSinceMs: this.#now() - p.createdAt });
    }
    await Promise.all(resumed.map((p) => this.#transmit(p)));
    return resumed.length;
  }

  /** Stops the timers; waiting commands stay on disk for the next start. */
  stop(): void {
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
  }

  async #transmit(p: Pending): Promise<void> {
    const now = this.#now();
    p.attempts++;
    this.#persist("attempted", () => this.deps.store.attempted(p.charger, p.seq, p.attempts));
    const body: PortCommand = sealCommand({ cmd: p.cmd, port: p.port, reason: p.reason, seq: p.seq, ts: now }, this.deps.cfg.commandTtlMs, now);
    this.#record(p.attempts === 1 ? "command" : "retry", p, { nonce: body.nonce, expiresAt: body.expiresAt });
    if (p.attempts > 1) this.deps.metrics.retries.inc({ cmd: p.cmd });
    // armed before the publish: a publish that fails (broker down) is retried like an unanswered one
    p.timer = setTimeout(() => this.#timedOut(p), this.deps.cfg.ackTimeoutMs);
    p.timer.unref();
    try {
      await this.deps.mqtt.publish(deviceCommandTopic(this.deps.site, chargerKind.kind, p.charger), JSON.stringify(body), { qos: 1, retain: false });
    } catch (err) {
      this.deps.log.warn({ charger: p.charger, seq: p.seq, err: String(err) }, "charger command not published");
    }
  }

  #timedOut(p: Pending): void {
    const key = `${p.charger}/${p.seq}`;
    if (this.#pending.get(key) !== p) return;
    if (p.attempts <= this.deps.cfg.retries) {
      void this.#transmit(p);
      return;
    }
    this.#forget(key, p);
    this.#record("give_up", p, {});
    this.#fail(p, "no_ack", `no ack after ${p.attempts} sends, ${this.deps.cfg.ackTimeoutMs} ms apart`);
  }

  #fail(p: Pending, outcome: ChargerCommandFailed["outcome"], detail: string): void {
    this.deps.metrics.giveUps.inc({ cmd: p.cmd, outcome });
    this.deps.failed({ site: this.deps.site, charger: p.charger, port: p.port, cmd: p.cmd, seq: p.seq, attempts: p.attempts, outcome, reason: p.reason, detail, ts: this.#now() });
  }

  /** The command is over: no more sends, now or after a restart. */
  #forget(key: string, p: Pending): void {
    clearTimeout(p.timer);
    this.#pending.delete(key);
    this.#persist("remove", () => this.deps.store.remove(p.charger, p.seq));
  }

  #nextSeq(): number {
    try {
      this.#lastSeq = this.deps.store.nextSeq();
    } catch (err) {
      // a port cut for smoke goes out even when the disk cannot take its record
      this.deps.log.error({ err: String(err) }, "charger command seq not persisted: counting on in memory");
      this.#lastSeq++;
    }
    return this.#lastSeq;
  }

  /** The disk is the restart's memory, not the command's path: a failed write is logged, and the command goes on. */
  #persist(what: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      this.deps.log.error({ err: String(err), what }, "waiting charger command not persisted: it will not survive a restart");
    }
  }

  /** One audit line and one log line per step of a command. */
  #record(event: string, p: Pending, extra: Record<string, unknown>): void {
    const entry = { at: this.#now(), event, charger: p.charger, port: p.port, cmd: p.cmd, reason: p.reason, seq: p.seq, attempt: p.attempts, ...p.source, ...extra };
    this.deps.log.info(entry, `charger ${event}`);
    void this.deps.audit.append(entry).catch((err: unknown) => this.#auditFailed(err));
  }

  #auditFailed(err: unknown): void {
    this.deps.log.error({ err: String(err) }, "charger audit line not written");
  }
}
