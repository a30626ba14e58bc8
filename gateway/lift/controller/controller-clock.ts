/** A measurement of the controller's clock against the gateway's. */
export interface ClockSample {
  /** controller time minus gateway time (ms): positive when the controller is ahead */
  offsetMs: number;
  /** the read's round trip (ms): the offset is good to about half of it */
  roundTripMs: number;
}

export interface ClockSkewChange extends ClockSample {
  /** true: the clocks now differ by more than the allowed skew; false: they agree again */
  skewed: boolean;
  maxSkewMs: number;
}

export interface ControllerClockOptions {
  /** clocks further apart than this are reported (default 1 s) */
  maxSkewMs?: number;
  onSkewChange?: (change: ClockSkewChange) => void;
}

/**
 * The controller's clock, as far as the gateway can know it. A lease is an absolute time judged by
 * the controller's clock, so the gateway writes `until` in that clock: its own time plus the
 * measured offset. The controller's reading is taken to be of the moment halfway through the read
 * (the request and the answer are assumed to take as long), so the offset is good to half the round trip.
 */
export class ControllerClock {
  #offsetMs = 0;
  #skewed = false;
  readonly #maxSkewMs: number;

  constructor(private readonly opts: ControllerClockOptions = {}) {
    this.#maxSkewMs = opts.maxSkewMs ?? 1_000;
  }

  /** controller minus gateway (ms); 0 until measured */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** A gateway epoch-ms time in the controller's clock. */
  toController(gatewayMs: number): number {
    return gatewayMs + this.#offsetMs;
  }

  /** Reads the controller's clock once (`read` resolves with its epoch ms) and keeps the offset. */
  async measure(read: () => Promise<number>): Promise<void> {
    const sent = Date.now();
    const controllerMs = await read();
    const received = Date.now();
    const sample: ClockSample = { offsetMs: Math.round(controllerMs - (sent + received) / 2), roundTripMs: received - sent };
    this.#offsetMs = sample.offsetMs;
    const skewed = Math.abs(sample.offsetMs) > this.#maxSkewMs;
    if (skewed !== this.#skewed) {
      this.#skewed = skewed;
      this.opts.onSkewChange?.({ ...sample, skewed, maxSkewMs: this.#maxSkewMs });
    }
  }
}
