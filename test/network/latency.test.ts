import { describe, it, expect } from "vitest";
import { Rng } from "../../sim/rng.js";
import { DEFAULT_LATENCY, sampleLatencyUs, type LatencyModel } from "../../src/network/latency.js";
import { buildSystem, msg } from "../helpers/recorder.js";

function samples(model: LatencyModel, count: number, seed = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => sampleLatencyUs(model, rng));
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

describe("latency models", () => {
  it("every model draws whole, non-negative microseconds", () => {
    const models: LatencyModel[] = [
      { model: "constant", ms: 1.2345 },
      { model: "uniform", msMin: 0.1, msMax: 0.3 },
      { model: "normal", meanMs: 0.1, stddevMs: 1 },
      { model: "exponential", meanMs: 0.7 },
      { model: "long-tail", medianMs: 0.3, p99Ms: 40 },
    ];
    for (const model of models) {
      const bad = samples(model, 2000).filter((v) => !Number.isSafeInteger(v) || v < 0);
      expect(bad).toEqual([]);
    }
  });

  it("constant is exact", () => {
    expect(new Set(samples({ model: "constant", ms: 3 }, 100))).toEqual(new Set([3_000]));
    expect(new Set(samples({ model: "constant", ms: 0.0015 }, 10))).toEqual(new Set([2]));
  });

  it("uniform stays within its bounds and spreads across them", () => {
    const values = samples({ model: "uniform", msMin: 2, msMax: 6 }, 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...values)).toBeLessThanOrEqual(6_000);
    expect(Math.min(...values)).toBeLessThan(2_100);
    expect(Math.max(...values)).toBeGreaterThan(5_900);
    expect(mean(values)).toBeGreaterThan(3_900);
    expect(mean(values)).toBeLessThan(4_100);
  });

  it("the default is uniform 0.5–2 ms", () => {
    const values = samples(DEFAULT_LATENCY, 5_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...values)).toBeLessThanOrEqual(2_000);
  });

  it("long-tail has roughly the configured median and 99th percentile", () => {
    const values = samples({ model: "long-tail", medianMs: 2, p99Ms: 100 }, 20_000);
    const median = quantile(values, 0.5);
    const p99 = quantile(values, 0.99);
    expect(median).toBeGreaterThan(1_800);
    expect(median).toBeLessThan(2_200);
    expect(p99).toBeGreaterThan(75_000);
    expect(p99).toBeLessThan(130_000);
    // A long tail: the mean is well above the median.
    expect(mean(values)).toBeGreaterThan(2 * median);
  });

  it("normal has roughly the configured mean and is clamped at zero", () => {
    const values = samples({ model: "normal", meanMs: 10, stddevMs: 2 }, 10_000);
    expect(mean(values)).toBeGreaterThan(9_900);
    expect(mean(values)).toBeLessThan(10_100);
    const around0 = samples({ model: "normal", meanMs: 0, stddevMs: 1 }, 2_000);
    expect(Math.min(...around0)).toBe(0);
  });

  it("exponential has roughly the configured mean", () => {
    const values = samples({ model: "exponential", meanMs: 5 }, 20_000);
    expect(mean(values)).toBeGreaterThan(4_800);
    expect(mean(values)).toBeLessThan(5_200);
  });

  it("draws are deterministic per seed and differ between seeds", () => {
    const model: LatencyModel = { model: "long-tail", medianMs: 1, p99Ms: 50 };
    expect(samples(model, 500, 9)).toEqual(samples(model, 500, 9));
    expect(samples(model, 500, 9)).not.toEqual(samples(model, 500, 10));
  });
});

describe("network determinism", () => {
  function runConnectionMode(seed: number): { hash: string; arrivals: number[] } {
    const sys = buildSystem(["a", "b", "c"], { seed, network: { latency: { model: "long-tail", medianMs: 1, p99Ms: 30 } } });
    for (let i = 0; i < 300; i++) {
      sys.sendAt(i * 200, "a", "b", msg("m", i));
      sys.sendAt(i * 200, "c", "b", msg("m", 1000 + i));
    }
    sys.sim.at(20_000, () => sys.net.applyPartition({ shape: "halves" }, ["a", "b", "c"]));
    sys.sim.at(40_000, () => sys.net.heal());
    sys.sim.runUntil(60_000_000);
    return { hash: sys.sim.trace.hash, arrivals: sys.rec.seen.map((s) => s.atUs) };
  }

  it("the same seed gives the same run (trace hash and arrival times); a different seed a different one", () => {
    const a = runConnectionMode(5);
    expect(runConnectionMode(5)).toEqual(a);
    const b = runConnectionMode(6);
    expect(b.hash).not.toBe(a.hash);
    expect(b.arrivals).not.toEqual(a.arrivals);
  });
});
