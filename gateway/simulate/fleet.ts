import type { DeviceKind, SimMessage, SimulatedDevice } from "../../devices/types.ts";

export interface FleetOptions {
  /** devices per kind; a kind not named gets its simulator's default count */
  counts?: Readonly<Record<string, number>>;
  seed: number;
  images?: readonly Buffer[];
  ebikeImages?: readonly Buffer[];
}

export interface FleetMessage extends SimMessage {
  kind: string;
}

/** mulberry32: a small seeded generator, so a simulated day can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** All simulated devices of a compound, advanced together on one clock (real or fast-forwarded). */
export class Fleet {
  readonly #devices: Array<{ kind: string; device: SimulatedDevice; tickMs: number; nextAt: number }> = [];

  constructor(kinds: readonly DeviceKind[], options: FleetOptions) {
    const random = seededRandom(options.seed);
    for (const k of kinds) {
      const count = options.counts?.[k.kind] ?? k.simulator.defaultCount;
      for (let i = 0; i < count; i++) {
        const device = k.simulator.create(i, { random, ...(options.images ? { images: options.images } : {}), ...(options.ebikeImages ? { ebikeImages: options.ebikeImages } : {}) });
        this.#devices.push({ kind: k.kind, device, tickMs: k.simulator.tickMs, nextAt: -Infinity });
      }
    }
  }

  get size(): number {
    return this.#devices.length;
  }

  /** The ids of the simulated devices of one kind, in creation order. */
  deviceIds(kind: string): string[] {
    return this.#devices.filter((d) => d.kind === kind).map((d) => d.device.deviceId);
  }

  /** Messages due at `now` from every device whose tick has come. */
  tick(now: number): FleetMessage[] {
    const out: FleetMessage[] = [];
    for (const d of this.#devices) {
      if (now < d.nextAt) continue;
      d.nextAt = now + d.tickMs;
      for (const m of d.device.tick(now)) out.push({ ...m, kind: d.kind });
    }
    return out;
  }
}

export function encodePayload(payload: SimMessage["payload"]): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
}
