import type { NodeContext, Timer } from "../../../../sim/actor.js";
import type { SimTimeUs } from "../../../../sim/time.js";

/**
 * The clients' sense of time. Kafka's Java clients compare deadlines (linger, backoff, request
 * and delivery timeouts, metadata age) against `Time.SYSTEM.milliseconds()`, the wall clock, so
 * a clock step on the client moves them. The model does the same: deadlines are wall-clock
 * microseconds of the client's node, and a `Wakeup` rechecks them when it fires.
 */
export function clientNowUs(ctx: NodeContext): SimTimeUs {
  return ctx.wallClockUs();
}

/**
 * One re-armable wake-up at a wall-clock deadline: the event loop of a client (Java's
 * `poll(timeout)`). `set` moves it to a new deadline; setting the deadline it already has keeps
 * the pending timer, so a loop that recomputes its next deadline on every event stays cheap.
 * The timer itself runs on the node's monotonic clock; after a clock step the callback simply
 * recomputes and re-arms.
 */
export class Wakeup {
  private timer: Timer | undefined;
  private deadlineUs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ctx: NodeContext,
    private readonly label: string,
    private readonly fn: () => void,
  ) {}

  /** Arms the wake-up at wall-clock `atUs`; `undefined` or Infinity disarms it. */
  set(atUs: SimTimeUs | undefined): void {
    const deadline = atUs === undefined || !Number.isFinite(atUs) ? Number.POSITIVE_INFINITY : atUs;
    if (this.timer?.pending === true && deadline === this.deadlineUs) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.deadlineUs = deadline;
    if (deadline === Number.POSITIVE_INFINITY) return;
    const delayUs = Math.max(0, Math.round(deadline - clientNowUs(this.ctx)));
    this.timer = this.ctx.after(delayUs, this.label, this.fire);
  }

  /** One callback for every timer this wake-up arms (a timer cancelled by `set` never calls it). */
  private readonly fire = (): void => {
    this.timer = undefined;
    this.deadlineUs = Number.POSITIVE_INFINITY;
    this.fn();
  };

  cancel(): void {
    this.set(undefined);
  }

  get armedAtUs(): SimTimeUs | undefined {
    return this.timer?.pending === true ? this.deadlineUs : undefined;
  }
}

/**
 * A client's event loop that runs until it settles: `wake()` runs one pass, and runs another
 * whenever the pass asked for it (it returned true) or something woke the loop while it ran.
 */
export class SettlingLoop {
  private looping = false;
  private wakeRequested = false;

  constructor(
    private readonly name: string,
    private readonly runOnce: () => boolean,
  ) {}

  wake(): void {
    if (this.looping) {
      this.wakeRequested = true;
      return;
    }
    this.looping = true;
    try {
      let rounds = 0;
      do {
        this.wakeRequested = false;
        if (this.runOnce()) this.wakeRequested = true;
        if (++rounds > 100_000) throw new Error(`${this.name} does not settle`);
      } while (this.wakeRequested);
    } finally {
      this.looping = false;
    }
  }
}

/** The earliest of some optional deadlines. */
export function earliest(...deadlines: readonly (SimTimeUs | undefined)[]): SimTimeUs | undefined {
  let min: SimTimeUs | undefined;
  for (const d of deadlines) if (d !== undefined && Number.isFinite(d) && (min === undefined || d < min)) min = d;
  return min;
}
