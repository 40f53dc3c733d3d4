/**
 * The ONLY module outside src/cli/ allowed to read real time (allowlisted in eslint.config.js
 * and in the determinism source scan). It is used for reporting wall time only (how long a run
 * took, events per second), never inside the simulation: simulated code reads the simulated
 * clock, and nothing it computes may depend on this value.
 */
import { performance } from "node:perf_hooks";

/** Milliseconds of real elapsed time from an arbitrary origin (monotonic). For reports only. */
export function wallClockMs(): number {
  return performance.now();
}
