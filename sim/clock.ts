import type { SimTimeUs } from "./time.js";

const PPM = 1_000_000;

/**
 * A node's own clock. Its wall clock reads simulated time plus an offset plus accumulated
 * drift; steps move the wall clock only. Timers run on the monotonic clock, which drift
 * speeds up or slows down but steps never move (like Java's nanoTime versus currentTimeMillis).
 */
export class NodeClock {
  private offsetUs = 0;
  private driftPpm = 0;
  /** Simulated time from which the current drift rate applies. */
  private driftSinceUs = 0;
  /** Drift accumulated before `driftSinceUs`. */
  private driftAccumulatedUs = 0;

  wallUs(simUs: SimTimeUs): SimTimeUs {
    return simUs + this.offsetUs + this.driftUs(simUs);
  }

  /** The monotonic clock (Java's nanoTime): drift moves it, steps and offsets never do. */
  monotonicUs(simUs: SimTimeUs): SimTimeUs {
    return simUs + this.driftUs(simUs);
  }

  /** Shifts the wall clock by `deltaUs` (positive: jumps forward). */
  step(deltaUs: SimTimeUs): void {
    this.offsetUs += deltaUs;
  }

  /** Sets the wall clock's offset from simulated time, keeping accumulated drift. */
  setOffset(simUs: SimTimeUs, offsetUs: SimTimeUs): void {
    this.offsetUs = offsetUs - this.driftUs(simUs);
  }

  setDrift(simUs: SimTimeUs, driftPpm: number): void {
    this.driftAccumulatedUs = this.driftUs(simUs);
    this.driftSinceUs = simUs;
    this.driftPpm = driftPpm;
  }

  /** Converts a duration on this node's monotonic clock to simulated time. */
  toSimDurationUs(localUs: SimTimeUs): SimTimeUs {
    if (this.driftPpm === 0) return localUs;
    return Math.max(0, Math.round((localUs * PPM) / (PPM + this.driftPpm)));
  }

  /** Back to a true clock: no offset, no drift. */
  reset(simUs: SimTimeUs): void {
    this.offsetUs = 0;
    this.driftPpm = 0;
    this.driftAccumulatedUs = 0;
    this.driftSinceUs = simUs;
  }

  describe(simUs: SimTimeUs): { offsetUs: number; driftPpm: number } {
    return { offsetUs: this.wallUs(simUs) - simUs, driftPpm: this.driftPpm };
  }

  private driftUs(simUs: SimTimeUs): number {
    return this.driftAccumulatedUs + Math.trunc(((simUs - this.driftSinceUs) * this.driftPpm) / PPM);
  }
}
