import type { Rng } from "../../sim/rng.js";
import { msToUs, type SimTimeUs } from "../../sim/time.js";

/** One-way message latency. All parameters are milliseconds; draws round to whole microseconds. */
export type LatencyModel =
  | { readonly model: "constant"; readonly ms: number }
  | { readonly model: "uniform"; readonly msMin: number; readonly msMax: number }
  | { readonly model: "normal"; readonly meanMs: number; readonly stddevMs: number }
  | { readonly model: "exponential"; readonly meanMs: number }
  /** Log-normal fitted to a median and a 99th percentile: mostly fast, sometimes very slow. */
  | { readonly model: "long-tail"; readonly medianMs: number; readonly p99Ms: number };

export const DEFAULT_LATENCY: LatencyModel = { model: "uniform", msMin: 0.5, msMax: 2 };

const Z_99 = 2.3263478740408408;

export function sampleLatencyUs(latency: LatencyModel, rng: Rng): SimTimeUs {
  return Math.max(0, msToUs(sampleLatencyMs(latency, rng)));
}

function sampleLatencyMs(latency: LatencyModel, rng: Rng): number {
  switch (latency.model) {
    case "constant":
      return latency.ms;
    case "uniform":
      return latency.msMin + rng.next() * (latency.msMax - latency.msMin);
    case "normal":
      return rng.normal(latency.meanMs, latency.stddevMs);
    case "exponential":
      return rng.exponential(latency.meanMs);
    case "long-tail": {
      const mu = Math.log(latency.medianMs);
      const sigma = (Math.log(latency.p99Ms) - mu) / Z_99;
      return Math.exp(rng.normal(mu, sigma));
    }
    default: {
      const unknown: never = latency;
      throw new Error(`unknown latency model ${JSON.stringify(unknown)}`);
    }
  }
}
