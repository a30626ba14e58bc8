import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { Counter, Gauge, Histogram } from "prom-client";
import { lift as liftKind } from "../../devices/lift.ts";
import { isChannel } from "../../devices/types.ts";
import type { LiftDetection, DetectorFault } from "../detector/events.ts";
import type { Core, Extension } from "../extension.ts";
import { readBody, sendJson } from "../http/routes.ts";
import { CommandVerifier } from "../security/envelope.ts";
import { nodeIdsFor, type LiftConfig } from "./config.ts";
import { NoLink, type CarState, type LiftLink, type WriteResult } from "./controller/link.ts";
import { RelayLink } from "./controller/relay-link.ts";
import type { HoldRecord, LiftAlert, StaffAudit } from "./events.ts";
import { LiftGuard, type ActiveHold, type GuardAction, type GuardSettings } from "./guard.ts";
import { EvidenceStore } from "../evidence/store.ts";
import { AuditLog, holdPoint, liftHoldLatency } from "./records.ts";
import { parseLiftPath, staffCommandSchema, staffTopics, type StaffCommand, type StaffResponse } from "./staff.ts";

export interface LiftGuardDeps {
  /**
   * Who sends an HTTP staff command (e.g. the console's session check). When given, a request it
   * does not recognise gets 401 and the audit names the authenticated user; without it the API
   * trusts the `x-linli-user` header or the body's `by` (fine on the default loopback HTTP bind only).
   */
  authenticate?: (req: IncomingMessage) => string | undefined | Promise<string | undefined>;
}

interface Metrics {
  latency: Histogram<"lift">;
  holds: Counter<"lift">;
  ends: Counter<"lift" | "reason">;
  holding: Gauge<"lift">;
  writeFailures: Counter<"lift" | "what">;
  faults: Counter<"lift" | "reason">;
}

/** how often every guard is re-evaluated against the clock */
const TICK_MS = 100;

const SECONDS = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];

function metricsOf(core: Core): Metrics {
  const registers = [core.metrics];
  const existing = <T>(name: string) => core.metrics.getSingleMetric(name) as T | undefined;
  return {
    latency:
      existing("linli_lift_hold_latency_seconds") ??
      new Histogram({ name: "linli_lift_hold_latency_seconds", help: "Lift frame publish to hold acknowledged by the controller", labelNames: ["lift"], buckets: SECONDS, registers }),
    holds: existing("linli_lift_holds_total") ?? new Counter({ name: "linli_lift_holds_total", help: "Holds started by the lift guard", labelNames: ["lift"], registers }),
    ends: existing("linli_lift_hold_ends_total") ?? new Counter({ name: "linli_lift_hold_ends_total", help: "Holds ended, by end reason", labelNames: ["lift", "reason"], registers }),
    holding: existing("linli_lift_holding") ?? new Gauge({ name: "linli_lift_holding", help: "1 while the guard holds the lift", labelNames: ["lift"], registers }),
    writeFailures:
      existing("linli_lift_write_failures_total") ??
      new Counter({ name: "linli_lift_write_failures_total", help: "Writes to the lift controller that failed", labelNames: ["lift", "what"], registers }),
    faults: existing("linli_lift_faults_total") ?? new Counter({ name: "linli_lift_faults_total", help: "Guard faults (detector faults, stale frames)", labelNames: ["lift", "reason"], registers }),
  };
}

/**
 * The lift guard feature: one LiftGuard per lift, fed by the detector's verdicts (`lift.detection`,
 * `lift.detector.fault`) and the car state (from the OPC UA link, or lift/<id>/state messages in
 * relay mode); it carries out their actions on the controller link, records holds (lift_block,
 * evidence files), raises alerts (`lift.alert`) and serves staff commands over MQTT and HTTP.
 */
export class LiftGuardExtension implements Extension {
  readonly name = "lift-guard";
  readonly #guards = new Map<string, LiftGuard>();
  /** last car state of every lift heard of, guarded or not (a guard is made on a lift's first frame) */
  readonly #cars = new Map<string, { state: CarState | null; at: number }>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #firstWrite = new Map<string, WriteResult>();
  readonly #startEvidence = new Map<string, { frameTs: number; evidence: HoldRecord["evidence"] }>();
  #cleanup: (() => void | Promise<void>)[] = [];
  #link: LiftLink | null = null;
  #metrics: Metrics | null = null;
  #evidence: EvidenceStore | null = null;
  #audit: AuditLog | null = null;
  #timer: NodeJS.Timeout | null = null;
  #verifier: CommandVerifier | null = null;

  constructor(
    private readonly core: Core,
    private readonly cfg: LiftConfig,
    private readonly deps: LiftGuardDeps = {},
  ) {}

  get site(): string {
    return this.core.config.site;
  }

  async start(): Promise<void> {
    if (!this.cfg.enabled) {
      this.core.log.info("lift guard disabled in config");
      return;
    }
    const dir = join(this.core.dataDir, "lift");
    this.#evidence = new EvidenceStore(join(dir, "evidence"));
    this.#audit = new AuditLog(join(dir, "audit.jsonl"), dir);
    this.#metrics = metricsOf(this.core);
    const commands = this.core.config.security.commands;
    this.#verifier =
      this.core.config.broker.mode === "external" && commands.requireEnvelope
        ? new CommandVerifier({ maxTtlMs: commands.maxTtlMs, maxEntries: commands.replayCacheSize })
        : null;
    const link = await this.#makeLink();
    this.#link = link;
    const bus = this.core.bus;
    this.#cleanup.push(
      bus.on("lift.detection", (d) => this.#onDetection(d)),
      bus.on("lift.detector.fault", (f) => this.#onFault(f)),
      link.onState((id, state) => this.#onCarState(id, state)),
    );
    if (!link.providesState) {
      this.#cleanup.push(
        bus.on("device.event", (e) => {
          if (e.site !== this.site || !isChannel(e, liftKind, "state")) return;
          const { floor, door, moving, direction, mode } = e.data;
          this.#onCarState(e.deviceId, { floor, door, moving, direction, mode });
        }),
      );
    }
    await link.start();
    for (const id of Object.keys(this.cfg.lifts)) this.#guard(id);

    const topics = staffTopics(this.site);
    const unsubscribe = await this.core.mqtt.subscribe(topics.request, (msg) => void this.#onStaffMqtt(msg.topic, msg.payload));
    this.#cleanup.push(unsubscribe);
    this.#cleanup.push(
      this.core.http.add("GET", "/api/lifts", async (req, res) => {
        if (this.deps.authenticate && !(await this.deps.authenticate(req))) return sendJson(res, 401, { ok: false, error: "login required" });
        sendJson(res, 200, this.status());
      }),
    );
    this.#cleanup.push(
      this.core.http.add("POST", "/api/lifts/*", async (req, res, url) => {
        const path = parseLiftPath(url.pathname);
        if (!path || !["release", "disable", "enable"].includes(path.action)) return sendJson(res, 404, { ok: false, error: "not found" });
        let body: Record<string, unknown> = {};
        try {
          const raw = (await readBody(req, 16_384)).toString("utf8").trim();
          if (raw) body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return sendJson(res, 400, { ok: false, error: "body must be JSON" });
        }
        const header = req.headers["x-linli-user"];
        const claimed = typeof body.by === "string" ? body.by : typeof header === "string" ? header : undefined;
        let by = claimed;
        if (this.deps.authenticate) {
          const user = await this.deps.authenticate(req);
          if (!user) return sendJson(res, 401, { ok: false, lift: path.lift, error: "login required" });
          by = claimed && claimed !== user ? `${user} (for ${claimed})` : user;
        }
        const parsed = staffCommandSchema.safeParse({ ...body, action: path.action, by });
        if (!parsed.success) return sendJson(res, 400, { ok: false, lift: path.lift, error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
        const response = await this.command(path.lift, parsed.data, "http");
        sendJson(res, response.ok ? 200 : response.error?.startsWith("unknown lift") ? 404 : 409, response);
      }),
    );
    const purge = () => {
      const before = Date.now() - this.cfg.evidenceRetentionDays * 86_400_000;
      try {
        const removed = this.#evidence?.purge(before) ?? 0;
        if (removed > 0) this.core.log.info({ removed }, "lift evidence past retention removed");
      } catch (err) {
        this.core.log.warn({ err }, "lift evidence purge failed");
      }
    };
    purge();
    const purgeTimer = setInterval(purge, 6 * 3_600_000);
    purgeTimer.unref();
    this.#cleanup.push(() => clearInterval(purgeTimer));
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const guard of this.#guards.values()) this.#run(guard, guard.tick(now));
    }, TICK_MS);
    this.core.log.info({ link: link.kind, lifts: Object.keys(this.cfg.lifts).length }, "lift guard started");
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const now = Date.now();
    for (const guard of this.#guards.values()) this.#run(guard, guard.shutdown(now));
    await Promise.allSettled([...this.#chains.values()]);
    for (const fn of this.#cleanup.splice(0).reverse()) await fn();
    await this.#link?.stop();
    this.#link = null;
    this.#guards.clear();
    this.#cars.clear();
    this.#evidence?.close();
    this.#evidence = null;
  }

  async #makeLink(): Promise<LiftLink> {
    switch (this.cfg.link) {
      case "opcua": {
        // node-opcua is large and only needed here: a gateway without OPC UA lifts never loads it.
        const { OpcuaLink } = await import("./controller/opcua-link.ts");
        return new OpcuaLink({
          endpoint: this.cfg.opcua.endpoint,
          nodeIds: (id) => nodeIdsFor(this.cfg, id),
          samplingMs: this.cfg.opcua.samplingMs,
          reconnectInitialMs: this.cfg.opcua.reconnectInitialMs,
          reconnectMaxMs: this.cfg.opcua.reconnectMaxMs,
          log: this.core.log,
        });
      }
      case "relay":
        return new RelayLink(this.core.mqtt, this.site);
      case "none":
        return new NoLink();
    }
  }

  settingsFor(liftId: string): GuardSettings {
    const c = this.cfg;
    const per = c.lifts[liftId];
    return {
      canHold: c.link !== "none" && (per?.enabled ?? true),
      confirmN: per?.confirmN ?? c.confirmN,
      confirmM: per?.confirmM ?? c.confirmM,
      threshold: per?.threshold ?? c.threshold,
      leaseMs: c.leaseMs,
      renewMs: c.renewMs,
      clearReleaseMs: c.clearReleaseMs,
      maxHoldMs: c.maxHoldMs,
      frameStaleMs: c.frameStaleMs,
      stateStaleMs: this.#link?.providesState ? Number.POSITIVE_INFINITY : c.stateStaleMs,
      announcement: c.announcement,
      announceRepeatMs: c.announceRepeatMs,
    };
  }

  #guard(liftId: string): LiftGuard {
    let guard = this.#guards.get(liftId);
    if (!guard) {
      guard = new LiftGuard(liftId, this.settingsFor(liftId), Date.now());
      this.#guards.set(liftId, guard);
      this.#link?.watch(liftId);
      // a car heard of before its first frame (relay mode: lift/<id>/state messages)
      const car = this.#cars.get(liftId);
      if (car) guard.carState(car.state, car.at);
    }
    return guard;
  }

  status(): Record<string, ReturnType<LiftGuard["status"]>> {
    const now = Date.now();
    return Object.fromEntries([...this.#guards].map(([id, g]) => [id, g.status(now)]));
  }

  #onDetection(d: LiftDetection): void {
    if (d.site !== this.site) return;
    const guard = this.#guard(d.lift);
    const image = d.evidence ? { data: d.evidence.image, format: d.evidence.format } : undefined;
    this.#run(guard, guard.observe({ frameTs: d.frameTs, score: d.ebikeScore, modelThreshold: d.threshold, ...(image ? { image } : {}) }, Date.now()));
  }

  #onFault(f: DetectorFault): void {
    if (f.site !== undefined && f.site !== this.site) return;
    const now = Date.now();
    const targets = f.lift !== undefined ? [this.#guard(f.lift)] : [...this.#guards.values()];
    // counted once, when the guard reports the fault starting (the `alert` action), not per frame
    for (const guard of targets) this.#run(guard, guard.fault(f.reason, now));
  }

  #onCarState(liftId: string, state: CarState | null): void {
    const now = Date.now();
    this.#cars.set(liftId, { state, at: now });
    const guard = this.#guards.get(liftId);
    if (guard) this.#run(guard, guard.carState(state, now));
  }

  /** Carries out a guard's actions in order, per lift (writes to one lift never overtake each other). */
  #run(guard: LiftGuard, actions: GuardAction[]): void {
    if (actions.length === 0) return;
    const id = guard.liftId;
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const action of actions) {
        try {
          await this.#perform(id, action);
        } catch (err) {
          this.core.log.error({ lift: id, action: action.type, err }, "lift guard action failed");
        }
      }
    });
    this.#chains.set(id, next);
    void next.finally(() => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    });
  }

  async #perform(liftId: string, action: GuardAction): Promise<void> {
    const link = this.#link;
    const metrics = this.#metrics;
    if (!link || !metrics) return;
    switch (action.type) {
      case "hold": {
        const result = await link.hold(liftId, action.until);
        if (action.first) this.#firstWrite.set(action.hold.id, result);
        if (!result.ok) {
          metrics.writeFailures.inc({ lift: liftId, what: "hold" });
          this.core.log.warn({ lift: liftId, holdId: action.hold.id, detail: result.detail }, "lift hold write failed");
          if (action.first) this.#alert(liftId, "hold_write_failed", "warning", `the controller did not accept the hold: ${result.detail ?? "unknown"}`, action.hold.id);
        }
        return;
      }
      case "release": {
        const result = await link.release(liftId);
        if (!result.ok) {
          metrics.writeFailures.inc({ lift: liftId, what: "release" });
          this.core.log.warn({ lift: liftId, detail: result.detail }, "lift release write failed; the lease will lapse by itself");
        }
        return;
      }
      case "announce": {
        const result = await link.announce(liftId, action.text);
        if (!result.ok) metrics.writeFailures.inc({ lift: liftId, what: "announce" });
        return;
      }
      case "hold_started":
        return this.#recordStart(liftId, action.hold);
      case "hold_ended":
        return this.#recordEnd(liftId, action.hold, action.reason, action.endedAt, action.detail);
      case "alert": {
        if (action.kind === "fault") metrics.faults.inc({ lift: liftId, reason: action.detail });
        const severity = action.kind === "max_hold" ? "critical" : action.kind === "fault" ? "warning" : "info";
        const message =
          action.kind === "fault"
            ? `lift guard cannot judge this lift (${action.detail}); it will not hold`
            : action.kind === "fault_cleared"
              ? `lift guard judging frames again (${action.detail})`
              : action.detail;
        this.#alert(liftId, action.kind, severity, message, action.hold?.id);
        return;
      }
    }
  }

  #alert(lift: string, kind: LiftAlert["kind"], severity: LiftAlert["severity"], message: string, holdId?: string): void {
    const alert: LiftAlert = { site: this.site, lift, ts: Date.now(), kind, severity, message, ...(holdId ? { holdId } : {}) };
    (severity === "info" ? this.core.log.info : this.core.log.warn).call(this.core.log, { alert }, `lift alert: ${kind}`);
    this.core.bus.emit("lift.alert", alert);
  }

  async #saveEvidence(id: string, hold: ActiveHold): Promise<HoldRecord["evidence"]> {
    const image = hold.best.image;
    const store = this.#evidence;
    if (!image || !this.cfg.keepEvidence || !store) return undefined;
    try {
      const record = store.put(image.data, { source: "lift-guard", subject: id, mime: image.format === "jpeg" ? "image/jpeg" : "image/png" });
      return { id: record.id, sha256: record.sha256, file: store.path(record) };
    } catch (err) {
      this.core.log.warn({ err, id }, "could not save lift evidence");
      return undefined;
    }
  }

  async #recordStart(liftId: string, hold: ActiveHold): Promise<void> {
    const metrics = this.#metrics!;
    const write = this.#firstWrite.get(hold.id);
    this.#firstWrite.delete(hold.id);
    metrics.holds.inc({ lift: liftId });
    metrics.holding.set({ lift: liftId }, 1);
    let latencyMs: number | undefined;
    if (write?.ok && hold.trigger === "frame") {
      latencyMs = Math.max(0, write.at - hold.triggerFrameTs);
      metrics.latency.observe({ lift: liftId }, latencyMs / 1000);
      this.core.writePoint({ measurement: liftHoldLatency.name, tags: { site: this.site, lift: liftId, link: this.#link?.kind ?? "none" }, fields: { latency_ms: latencyMs }, ts: write.at });
    }
    const evidence = await this.#saveEvidence(hold.id, hold);
    this.#startEvidence.set(hold.id, { frameTs: hold.best.frameTs, evidence });
    const record: HoldRecord = {
      site: this.site,
      lift: liftId,
      holdId: hold.id,
      phase: "start",
      ts: hold.startedAt,
      startedAt: hold.startedAt,
      reason: "ebike",
      peakScore: hold.best.score,
      written: write?.ok ?? false,
      ...(latencyMs === undefined ? {} : { latencyMs }),
      ...(evidence ? { evidence } : {}),
    };
    this.core.log.info({ lift: liftId, holdId: hold.id, peakScore: hold.best.score, latencyMs, written: record.written }, "lift hold started");
    this.core.writePoint(holdPoint(record));
    this.core.bus.emit("lift.hold", record);
  }

  async #recordEnd(liftId: string, hold: ActiveHold, reason: HoldRecord["endReason"] & string, endedAt: number, detail: string): Promise<void> {
    const metrics = this.#metrics!;
    metrics.ends.inc({ lift: liftId, reason });
    metrics.holding.set({ lift: liftId }, 0);
    const start = this.#startEvidence.get(hold.id);
    this.#startEvidence.delete(hold.id);
    const evidence = start && start.frameTs === hold.best.frameTs ? start.evidence : await this.#saveEvidence(`${hold.id}-peak`, hold);
    const record: HoldRecord = {
      site: this.site,
      lift: liftId,
      holdId: hold.id,
      phase: "end",
      ts: endedAt,
      startedAt: hold.startedAt,
      reason: "ebike",
      peakScore: hold.best.score,
      endReason: reason,
      durationMs: endedAt - hold.startedAt,
      detail,
      ...(evidence ? { evidence } : {}),
    };
    this.core.log.info({ lift: liftId, holdId: hold.id, endReason: reason, durationMs: record.durationMs, detail }, "lift hold ended");
    this.core.writePoint(holdPoint(record));
    this.core.bus.emit("lift.hold", record);
  }

  /** A staff command (MQTT or HTTP): applied, audited to dataDir/lift/audit.jsonl and the log, answered. */
  async command(liftId: string, cmd: StaffCommand, via: StaffAudit["via"]): Promise<StaffResponse> {
    const base = { lift: liftId, action: cmd.action, ...(cmd.requestId ? { requestId: cmd.requestId } : {}) };
    if (!this.#guards.has(liftId) && !(liftId in this.cfg.lifts)) return { ...base, ok: false, error: `unknown lift ${liftId}` };
    const guard = this.#guard(liftId);
    const now = Date.now();
    let result: string;
    let disabledUntil: number | undefined;
    if (cmd.action === "release") {
      const hold = guard.hold;
      this.#run(guard, guard.staffRelease(now));
      result = hold ? `released hold ${hold.id}` : "no hold to release";
    } else if (cmd.action === "disable") {
      const minutes = Math.min(cmd.minutes ?? 60, this.cfg.maxDisableMinutes);
      disabledUntil = now + minutes * 60_000;
      const hold = guard.hold;
      this.#run(guard, guard.staffDisable(disabledUntil, now));
      result = `disabled for ${minutes} min until ${new Date(disabledUntil).toISOString()}${hold ? `; released hold ${hold.id}` : ""}`;
    } else {
      this.#run(guard, guard.staffEnable(now));
      result = "enabled";
    }
    await this.#chains.get(liftId); // the release is on the controller before we answer
    const audit: StaffAudit = {
      site: this.site,
      lift: liftId,
      ts: now,
      action: cmd.action,
      by: cmd.by,
      via,
      result,
      ...(cmd.action === "disable" ? { minutes: Math.min(cmd.minutes ?? 60, this.cfg.maxDisableMinutes) } : {}),
      ...(cmd.requestId ? { requestId: cmd.requestId } : {}),
    };
    this.core.log.warn({ audit }, `lift staff command: ${cmd.action} ${liftId} by ${cmd.by}`);
    try {
      await this.#audit?.append(audit);
    } catch (err) {
      this.core.log.error({ err, audit }, "could not append to the lift audit log");
    }
    this.core.bus.emit("lift.staff", audit);
    this.#alert(liftId, "staff", "info", `${cmd.action} by ${cmd.by} via ${via}: ${result}`);
    return { ...base, ok: true, result, ...(disabledUntil === undefined ? {} : { disabledUntil }) };
  }

  /** A command cannot make the gateway publish on a device's topics: answers go to staff space or the lift's result topic. */
  #responseTopicAllowed(topic: string, liftId: string): boolean {
    const staff = `linli/${this.site}/staff/`;
    return topic === staffTopics(this.site).result(liftId) || (topic.startsWith(staff) && topic.length > staff.length && !/[+#]/.test(topic));
  }

  async #onStaffMqtt(topic: string, payload: Buffer): Promise<void> {
    const topics = staffTopics(this.site);
    const liftId = topics.liftOf(topic);
    if (!liftId) return;
    let response: StaffResponse;
    let responseTopic = topics.result(liftId);
    try {
      let json: unknown = JSON.parse(payload.toString("utf8"));
      const requestId = (json as { requestId?: unknown } | null)?.requestId;
      const refuse = (error: string): StaffResponse => ({ ok: false, lift: liftId, ...(typeof requestId === "string" ? { requestId } : {}), error });
      if (this.#verifier) {
        // external broker: nobody checked the envelope (nonce, expiresAt) before us
        const verified = this.#verifier.verify(json);
        json = verified.ok ? verified.command : null;
        if (!verified.ok) response = refuse(`${verified.reason}: ${verified.detail}`);
      }
      if (json !== null && typeof json === "object" && !Array.isArray(json)) {
        // the embedded broker has checked and stripped the envelope; tolerate it when it is still there
        const { nonce: _nonce, expiresAt: _expiresAt, ...body } = json as Record<string, unknown>;
        const parsed = staffCommandSchema.safeParse(body);
        if (!parsed.success) response = refuse(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
        else if (parsed.data.responseTopic && !this.#responseTopicAllowed(parsed.data.responseTopic, liftId)) {
          response = refuse(`bad_response_topic: answers go to linli/${this.site}/staff/<id>/... or ${topics.result(liftId)}`);
        } else {
          if (parsed.data.responseTopic) responseTopic = parsed.data.responseTopic;
          response = await this.command(liftId, parsed.data, "mqtt");
        }
      } else {
        response ??= refuse("a command must be a JSON object");
      }
    } catch {
      response = { ok: false, lift: liftId, error: "payload must be JSON" };
    }
    await this.core.mqtt.publish(responseTopic, JSON.stringify(response), { qos: 1 }).catch((err: unknown) => this.core.log.warn({ err }, "could not publish staff response"));
  }
}
