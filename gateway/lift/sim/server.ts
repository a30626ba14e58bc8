import { EventEmitter } from "node:events";
import { DataType, OPCUAServer, StatusCodes, VariableIds, Variant, type Namespace, type UAObject, type UAVariable } from "node-opcua";
import { SimCar, type CarSnapshot, type CarTiming, type LiftMode } from "./car.ts";

export interface SimControllerOptions {
  /** TCP port; 0 picks a free one (default 4840) */
  port?: number;
  /** address to listen on (default 127.0.0.1) */
  host?: string;
  /** lift ids, or a count (ids lift-01, lift-02, ...); default 2 */
  lifts?: number | readonly string[];
  minFloor?: number;
  maxFloor?: number;
  timing?: Partial<CarTiming>;
  /** random landing calls, for a demo that looks alive (calls per lift per minute; default 0 = none) */
  callsPerMinute?: number;
  random?: () => number;
  /** how often the cars are advanced and their variables refreshed (default 50 ms) */
  tickMs?: number;
  now?: () => number;
  /**
   * How far the controller's clock is ahead of `now` (ms; negative: behind). The controller lives
   * in its own time: its CurrentTime (ns=0;i=2258) and its judgement of a lease both use it, as a
   * real controller whose clock drifted would.
   */
  clockSkewMs?: number;
}

export interface SimulatedController {
  endpoint: string;
  port: number;
  liftIds: readonly string[];
  /** The car behind a lift id (throws for an unknown id). */
  car(liftId: string): SimCar;
  state(liftId: string): CarSnapshot;
  /** A landing call; at the car's floor it opens the doors. */
  call(liftId: string, floor: number): void;
  setMode(liftId: string, mode: LiftMode): void;
  /** Steps the controller's clock to `ms` ahead of `now` (negative: behind), as an NTP step or an operator would. */
  setClockSkew(ms: number): void;
  /** Emits "change" (liftId, snapshot) whenever a lift's exposed state changes, "hold" on every HoldUntil write, "announce" on every announcement. */
  events: EventEmitter;
  stop(): Promise<void>;
}

function liftIdsOf(lifts: SimControllerOptions["lifts"]): string[] {
  if (Array.isArray(lifts)) return [...lifts];
  const n = typeof lifts === "number" ? lifts : 2;
  return Array.from({ length: n }, (_, i) => `lift-${String(i + 1).padStart(2, "0")}`);
}

interface Exposed {
  car: SimCar;
  vars: Record<"DoorState" | "Moving" | "Direction" | "Floor" | "Mode" | "HoldActive", UAVariable>;
  last: string;
  nextCallAt: number;
}

function addLift(ns: Namespace, folder: UAObject, id: string, car: SimCar, ctl: { now: () => number; emit: (name: string, ...args: unknown[]) => void; refresh: (id: string) => void }): Exposed {
  const obj = ns.addFolder(folder, { browseName: id, nodeId: `s=${id}` });
  const ro = (name: string, dataType: DataType, value: unknown) =>
    ns.addVariable({ componentOf: obj, browseName: name, nodeId: `s=${id}.${name}`, dataType, value: { dataType, value } as never, minimumSamplingInterval: 0 }) as UAVariable;
  const snap = car.snapshot(ctl.now());
  const vars = {
    DoorState: ro("DoorState", DataType.String, snap.door),
    Moving: ro("Moving", DataType.Boolean, snap.moving),
    Direction: ro("Direction", DataType.String, snap.direction),
    Floor: ro("Floor", DataType.Int32, snap.floor),
    Mode: ro("Mode", DataType.String, snap.mode),
    HoldActive: ro("HoldActive", DataType.Boolean, snap.holdActive),
  };
  ns.addVariable({
    componentOf: obj,
    browseName: "HoldUntil",
    nodeId: `s=${id}.HoldUntil`,
    dataType: "DateTime",
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    minimumSamplingInterval: 50,
    value: {
      get: () => new Variant({ dataType: DataType.DateTime, value: new Date(car.holdUntil) }),
      set: (variant: Variant) => {
        const value: unknown = variant.value;
        const until = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Number.NaN;
        if (!Number.isFinite(until)) return StatusCodes.BadTypeMismatch;
        const now = ctl.now();
        const result = car.writeHold(until, now);
        ctl.emit("hold", id, { until, result, at: now });
        ctl.refresh(id);
        return result === "accepted" || result === "released" ? StatusCodes.Good : StatusCodes.BadInvalidState;
      },
    },
  });
  let lastAnnouncement = "";
  ns.addVariable({
    componentOf: obj,
    browseName: "Announce",
    nodeId: `s=${id}.Announce`,
    dataType: "String",
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    minimumSamplingInterval: 100,
    value: {
      get: () => new Variant({ dataType: DataType.String, value: lastAnnouncement }),
      set: (variant: Variant) => {
        if (typeof variant.value !== "string") return StatusCodes.BadTypeMismatch;
        lastAnnouncement = variant.value;
        car.announce(variant.value, ctl.now());
        ctl.emit("announce", id, variant.value);
        return StatusCodes.Good;
      },
    },
  });
  return { car, vars, last: "", nextCallAt: 0 };
}

/**
 * node-opcua serves the host's clock as ServerStatus.CurrentTime (its ServerStatus extension object
 * answers `currentTime` with `new Date()`, and the CurrentTime variable reads that field); the
 * simulated controller serves its own clock there instead.
 */
function serveOwnClock(serverStatus: UAVariable | null, now: () => number): void {
  const status = serverStatus as (UAVariable & { $extensionObject: object }) | null;
  if (!status?.$extensionObject) throw new Error("OPC UA server has no ServerStatus to serve the controller's clock");
  status.$extensionObject = new Proxy(status.$extensionObject, {
    get: (target, prop, receiver) => (prop === "currentTime" ? new Date(now()) : Reflect.get(target, prop, receiver)),
  });
}

/**
 * Starts the simulated lift controller: a real OPC UA server (anonymous, security None) with one
 * folder per lift under Objects/Lifts. Used by `npm run demo`, the tests and the benchmark.
 */
export async function startSimulatedController(opts: SimControllerOptions = {}): Promise<SimulatedController> {
  const clock = opts.now ?? Date.now;
  let skew = opts.clockSkewMs ?? 0;
  const now = () => clock() + skew;
  const random = opts.random ?? Math.random;
  const minFloor = opts.minFloor ?? -2;
  const maxFloor = opts.maxFloor ?? 33;
  const ids = liftIdsOf(opts.lifts);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const server = new OPCUAServer({
    port: opts.port ?? 4840,
    host: opts.host ?? "127.0.0.1",
    hostname: opts.host ?? "127.0.0.1",
    resourcePath: "/linli-lift-sim",
    buildInfo: { productName: "linli simulated lift controller", manufacturerName: "linli" },
    allowAnonymous: true,
    disableDiscovery: true,
  } as ConstructorParameters<typeof OPCUAServer>[0]);
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error("OPC UA server has no address space");
  serveOwnClock(addressSpace.findNode(`ns=0;i=${VariableIds.Server_ServerStatus}`) as UAVariable | null, now);
  const ns = addressSpace.getOwnNamespace();
  const folder = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Lifts", nodeId: "s=Lifts" });

  const lifts = new Map<string, Exposed>();
  const refresh = (id: string) => {
    const lift = lifts.get(id);
    if (!lift) return;
    const s = lift.car.snapshot(now());
    const key = JSON.stringify([s.door, s.moving, s.direction, s.floor, s.mode, s.holdActive]);
    if (key === lift.last) return;
    lift.last = key;
    lift.vars.DoorState.setValueFromSource({ dataType: DataType.String, value: s.door });
    lift.vars.Moving.setValueFromSource({ dataType: DataType.Boolean, value: s.moving });
    lift.vars.Direction.setValueFromSource({ dataType: DataType.String, value: s.direction });
    lift.vars.Floor.setValueFromSource({ dataType: DataType.Int32, value: s.floor });
    lift.vars.Mode.setValueFromSource({ dataType: DataType.String, value: s.mode });
    lift.vars.HoldActive.setValueFromSource({ dataType: DataType.Boolean, value: s.holdActive });
    events.emit("change", id, s);
  };
  const ctl = { now, emit: (name: string, ...args: unknown[]) => events.emit(name, ...args), refresh };
  ids.forEach((id, i) => {
    const car = new SimCar(minFloor, maxFloor, Math.max(minFloor, Math.min(maxFloor, 1 + ((i * 7) % (maxFloor)))), opts.timing);
    car.tick(now());
    lifts.set(id, addLift(ns, folder, id, car, ctl));
  });

  const get = (id: string): Exposed => {
    const lift = lifts.get(id);
    if (!lift) throw new Error(`no simulated lift ${id}`);
    return lift;
  };
  const callsPerMinute = opts.callsPerMinute ?? 0;
  const timer = setInterval(() => {
    const t = now();
    for (const [id, lift] of lifts) {
      if (callsPerMinute > 0 && t >= lift.nextCallAt) {
        if (lift.nextCallAt !== 0) lift.car.call(minFloor + Math.floor(random() * (maxFloor - minFloor + 1)), t);
        lift.nextCallAt = t + (-Math.log(1 - random()) * 60_000) / callsPerMinute;
      }
      lift.car.tick(t);
      refresh(id);
    }
  }, opts.tickMs ?? 50);
  timer.unref();

  await server.start();
  const port = server.endpoints[0]?.port ?? opts.port ?? 4840;
  const endpoint = `opc.tcp://${opts.host ?? "127.0.0.1"}:${port}/linli-lift-sim`;
  return {
    endpoint,
    port,
    liftIds: ids,
    events,
    car: (id) => get(id).car,
    state: (id) => get(id).car.snapshot(now()),
    call: (id, floor) => {
      get(id).car.call(floor, now());
      refresh(id);
    },
    setMode: (id, mode) => {
      get(id).car.setMode(mode, now());
      refresh(id);
    },
    setClockSkew: (ms) => {
      skew = ms;
    },
    stop: async () => {
      clearInterval(timer);
      await server.shutdown(0);
      events.removeAllListeners();
    },
  };
}
