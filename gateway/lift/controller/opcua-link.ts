// Over ~250 lines on purpose: one OPC UA session's whole life (connect, monitor, reconnect, refresh, write) in one place.
import { EventEmitter } from "node:events";
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  VariableIds,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
} from "node-opcua";
import type { Logger } from "pino";
import type { LiftNodeIds } from "../config.ts";
import { ControllerClock, type ClockSkewChange } from "./controller-clock.ts";
import { withTimeout, type CarState, type LiftLink, type WriteResult } from "./link.ts";

export interface OpcuaLinkOptions {
  endpoint: string;
  /** node ids of a lift */
  nodeIds: (liftId: string) => LiftNodeIds;
  samplingMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** a write not acknowledged within this is reported as failed (default 2 s) */
  writeTimeoutMs?: number;
  /** how often the controller's clock is read again (default 60 s); also on every (re)connection */
  clockCheckMs?: number;
  /** controller and gateway clocks further apart than this are reported (default 1 s) */
  maxClockSkewMs?: number;
  /** the clocks came to differ by more than maxClockSkewMs, or agree again; `lifts`: those watched on this controller */
  onClockSkew?: (change: ClockSkewChange, lifts: readonly string[]) => void;
  log?: Pick<Logger, "info" | "warn" | "debug">;
}

/** How long each step of stop() may wait on the controller. */
const STOP_STEP_MS = 2_000;

/** Server_ServerStatus_CurrentTime: every OPC UA server's own clock */
const CURRENT_TIME = `ns=0;i=${VariableIds.Server_ServerStatus_CurrentTime}`;

const STATE_KEYS = ["door", "moving", "direction", "floor", "mode"] as const;
type StateKey = (typeof STATE_KEYS)[number];

const DOORS = new Set(["open", "opening", "closing", "closed"]);
const DIRECTIONS = new Set(["up", "down", "none"]);
const MODES = new Set(["normal", "fire", "inspection", "out_of_service"]);

interface Watched {
  ids: LiftNodeIds;
  /** the latest value of each monitored item: a car state is assembled from all five, and kept by the guard */
  values: Partial<Record<StateKey, unknown>>;
  group: ClientMonitoredItemGroup | null;
  /** a state emit is pending: the values of one publish response are coalesced into one state */
  pending: boolean;
}

/** Turns the five monitored values into a car state, or null while any is missing or out of range. */
function toCarState(v: Partial<Record<StateKey, unknown>>): CarState | null {
  const { door, moving, direction, floor, mode } = v;
  if (typeof door !== "string" || !DOORS.has(door)) return null;
  if (typeof moving !== "boolean") return null;
  if (typeof direction !== "string" || !DIRECTIONS.has(direction)) return null;
  if (typeof floor !== "number" || !Number.isInteger(floor)) return null;
  if (typeof mode !== "string" || !MODES.has(mode)) return null;
  return { door, moving, direction, floor, mode } as CarState;
}

/**
 * The lift controller over OPC UA (node-opcua client). Car state comes from one subscription with a
 * monitored item per variable (no polling). A hold is a write of HoldUntil (DateTime); an
 * announcement is a write of the Announce string. node-opcua reconnects with exponential backoff
 * (reconnectInitialMs doubling up to reconnectMaxMs, for ever) and restores the session and
 * subscription; while disconnected every watched lift's state is reported as unknown, so the guard
 * does not start a hold on stale state, and the controller lets any hold lapse at its lease.
 * Leases are written in the controller's clock (read from its CurrentTime at connection and every
 * clockCheckMs), so a clock that is off on either side neither shortens nor stretches a hold.
 */
export class OpcuaLink implements LiftLink {
  readonly kind = "opcua" as const;
  readonly providesState = true;
  readonly #opts: OpcuaLinkOptions;
  readonly #events = new EventEmitter();
  readonly #watched = new Map<string, Watched>();
  #client: OPCUAClient | null = null;
  #session: ClientSession | null = null;
  #subscription: ClientSubscription | null = null;
  #stopped = false;
  #connected = false;
  #startup: Promise<void> | null = null;
  readonly #clock: ControllerClock;
  #clockTimer: NodeJS.Timeout | undefined;
  #clockRetry: NodeJS.Timeout | undefined;

  constructor(opts: OpcuaLinkOptions) {
    this.#opts = opts;
    this.#events.setMaxListeners(0);
    this.#clock = new ControllerClock({
      ...(opts.maxClockSkewMs === undefined ? {} : { maxSkewMs: opts.maxClockSkewMs }),
      onSkewChange: (change) => {
        this.#opts.log?.warn({ endpoint: opts.endpoint, ...change }, change.skewed ? "lift controller clock differs from the gateway's: leases are written in the controller's time" : "lift controller clock agrees with the gateway's again");
        opts.onClockSkew?.(change, [...this.#watched.keys()]);
      },
    });
  }

  /** controller time minus gateway time (ms), as last measured; 0 before the first measurement */
  get clockOffsetMs(): number {
    return this.#clock.offsetMs;
  }

  /** Starts connecting in the background; resolves at once (the controller may be down at start). */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#startup = this.#open().catch((err: unknown) => {
      if (!this.#stopped) this.#opts.log?.warn({ err }, "lift controller: OPC UA start failed");
    });
  }

  /** Resolves once the session and subscription are up (for tests and the benchmark). */
  async ready(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#connected || !this.#subscription) {
      if (Date.now() > deadline) throw new Error(`OPC UA link to ${this.#opts.endpoint} not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async #open(): Promise<void> {
    const client = OPCUAClient.create({
      applicationName: "linli-lift-guard",
      endpointMustExist: false,
      keepSessionAlive: true,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      requestedSessionTimeout: 60_000,
      connectionStrategy: {
        initialDelay: this.#opts.reconnectInitialMs ?? 500,
        maxDelay: this.#opts.reconnectMaxMs ?? 10_000,
        maxRetry: Number.MAX_SAFE_INTEGER,
        randomisationFactor: 0.1,
      },
    });
    this.#client = client;
    client.on("backoff", (count: number, delay: number) => {
      // loud on the first failure and now and then after, quiet in between
      const level = count === 0 || count % 30 === 0 ? "warn" : "debug";
      this.#opts.log?.[level]({ count, delay, endpoint: this.#opts.endpoint }, "lift controller unreachable: retrying (no lift can be held meanwhile)");
    });
    client.on("connection_lost", () => {
      this.#opts.log?.warn({ endpoint: this.#opts.endpoint }, "lift controller: connection lost");
      this.#setConnected(false);
    });
    client.on("connection_reestablished", () => {
      this.#opts.log?.info({ endpoint: this.#opts.endpoint }, "lift controller: connection re-established");
    });
    client.on("after_reconnection", () => {
      this.#setConnected(true);
      void this.#refreshAll();
      // the controller may have restarted with another clock
      void this.#measureClock();
    });
    await client.connect(this.#opts.endpoint);
    if (this.#stopped) return;
    const session = await client.createSession();
    this.#session = session;
    session.on("session_restored", () => {
      this.#setConnected(true);
      void this.#refreshAll();
      void this.#measureClock();
    });
    // before any hold can be written: the first lease is already in the controller's time
    await this.#measureClock();
    this.#clockTimer = setInterval(() => void this.#measureClock(), this.#opts.clockCheckMs ?? 60_000);
    this.#clockTimer.unref();
    const publishingMs = Math.max(20, Math.min(100, this.#opts.samplingMs ?? 100));
    this.#subscription = await session.createSubscription2({
      requestedPublishingInterval: publishingMs,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    this.#opts.log?.info({ endpoint: this.#opts.endpoint }, "lift controller: OPC UA session up");
    this.#setConnected(true);
    await Promise.all([...this.#watched.keys()].map((id) => this.#monitor(id)));
  }

  #setConnected(up: boolean): void {
    if (this.#connected === up) return;
    this.#connected = up;
    if (!up) {
      for (const [id, w] of this.#watched) {
        w.values = {};
        this.#events.emit("state", id, null);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#connected = false;
    clearInterval(this.#clockTimer);
    clearTimeout(this.#clockRetry);
    const client = this.#client;
    this.#client = null;
    // With the controller gone, node-opcua queues these requests for a reconnection that never
    // comes, so each step is bounded: a gateway must stop even when its lift controller is down.
    const bounded = (step: Promise<unknown> | null | undefined, what: string) => withTimeout(Promise.resolve(step), STOP_STEP_MS, what).catch(() => undefined);
    await bounded(this.#subscription?.terminate(), "terminate the subscription");
    await bounded(this.#session?.close(), "close the session");
    this.#subscription = null;
    this.#session = null;
    await bounded(client?.disconnect(), "disconnect");
    await bounded(this.#startup, "the connection attempt");
    this.#events.removeAllListeners();
    this.#watched.clear();
  }

  watch(liftId: string): void {
    if (this.#watched.has(liftId)) return;
    this.#watched.set(liftId, { ids: this.#opts.nodeIds(liftId), values: {}, group: null, pending: false });
    if (this.#subscription) void this.#monitor(liftId);
  }

  onState(listener: (liftId: string, state: CarState | null) => void): () => void {
    this.#events.on("state", listener);
    return () => this.#events.off("state", listener);
  }

  async #monitor(liftId: string): Promise<void> {
    const w = this.#watched.get(liftId);
    const subscription = this.#subscription;
    if (!w || !subscription || w.group) return;
    const items = STATE_KEYS.map((k) => ({ nodeId: w.ids[k], attributeId: AttributeIds.Value }));
    const group = ClientMonitoredItemGroup.create(
      subscription,
      items,
      { samplingInterval: this.#opts.samplingMs ?? 100, discardOldest: true, queueSize: 1 },
      TimestampsToReturn.Neither,
    );
    w.group = group;
    group.on("changed", (_item: unknown, dataValue: DataValue, index: number) => {
      const key = STATE_KEYS[index];
      if (key === undefined) return;
      w.values[key] = dataValue.statusCode.isGood() ? dataValue.value.value : undefined;
      if (w.pending) return;
      w.pending = true;
      setImmediate(() => {
        w.pending = false;
        this.#report(liftId, w);
      });
    });
    group.on("err", (message: string) => this.#opts.log?.warn({ liftId, message }, "lift controller: monitored item error"));
  }

  #report(liftId: string, w: Watched): void {
    this.#events.emit("state", liftId, toCarState(w.values));
  }

  /** After a reconnection, reads every watched value once, in case a change fell in the gap. */
  async #refreshAll(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    for (const [liftId, w] of this.#watched) {
      try {
        const values = await session.read(STATE_KEYS.map((k) => ({ nodeId: w.ids[k], attributeId: AttributeIds.Value })));
        values.forEach((dv, i) => {
          const key = STATE_KEYS[i];
          if (key) w.values[key] = dv.statusCode.isGood() ? dv.value.value : undefined;
        });
        this.#report(liftId, w);
      } catch (err) {
        this.#opts.log?.warn({ err, liftId }, "lift controller: refresh after reconnection failed");
      }
    }
  }

  /**
   * Reads the controller's CurrentTime. A failed read (as one made while node-opcua is still
   * restoring the session) keeps the last offset, is logged, and is tried again in a second.
   */
  async #measureClock(): Promise<void> {
    const session = this.#session;
    if (!session || this.#stopped) return;
    clearTimeout(this.#clockRetry);
    try {
      await this.#clock.measure(async () => {
        const dv = await withTimeout(session.read({ nodeId: CURRENT_TIME, attributeId: AttributeIds.Value }), this.#opts.writeTimeoutMs ?? 2_000, "read CurrentTime");
        const value: unknown = dv.value.value;
        if (!dv.statusCode.isGood() || !(value instanceof Date)) throw new Error(`CurrentTime unreadable: ${dv.statusCode.toString()}`);
        return value.getTime();
      });
    } catch (err) {
      if (this.#stopped) return;
      this.#opts.log?.warn({ err: err instanceof Error ? err.message : String(err), endpoint: this.#opts.endpoint, offsetMs: this.#clock.offsetMs }, "lift controller clock not read: leases keep the last offset");
      this.#clockRetry = setTimeout(() => void this.#measureClock(), 1_000);
      this.#clockRetry.unref();
    }
  }

  async #write(liftId: string, key: "holdUntil" | "announce", dataType: DataType, value: unknown): Promise<WriteResult> {
    const session = this.#session;
    if (!session || !this.#connected) return { ok: false, at: Date.now(), detail: "controller not connected" };
    const nodeId = this.#opts.nodeIds(liftId)[key];
    try {
      const status = await withTimeout(
        session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } }),
        this.#opts.writeTimeoutMs ?? 2_000,
        `write ${nodeId}`,
      );
      const at = Date.now();
      return status === StatusCodes.Good || status.isGood() ? { ok: true, at } : { ok: false, at, detail: status.toString() };
    } catch (err) {
      return { ok: false, at: Date.now(), detail: err instanceof Error ? err.message : String(err) };
    }
  }

  hold(liftId: string, until: number): Promise<WriteResult> {
    return this.#write(liftId, "holdUntil", DataType.DateTime, new Date(this.#clock.toController(until)));
  }

  release(liftId: string): Promise<WriteResult> {
    return this.#write(liftId, "holdUntil", DataType.DateTime, new Date(0));
  }

  announce(liftId: string, text: string): Promise<WriteResult> {
    return this.#write(liftId, "announce", DataType.String, text);
  }
}
