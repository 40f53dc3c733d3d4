/**
 * Sweep and shrink benchmarks, measured in one run:
 *
 * - sweep throughput (seeds/s) of the bundled scenario with --jobs 1 and --jobs 2, alternating
 *   (best of ROUNDS each), whole sweeps including worker start-up, and the speedup (target
 *   >= 1.8x on 2 cores). Also the steady rate (from the first finished seed on), and a
 *   calibration: the same CPU-bound loop in 1 worker thread versus 2 at once, which says how much
 *   parallel CPU the machine really gives right now (2.0x on two free cores; less when the cores
 *   are shared or throttled). The sweep's speedup is only as good as that.
 * - time to shrink a failure found under a bug switch (target < 30 s).
 *
 * Bench code is not simulation code: it reads real time to measure.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { run } from "../src/run/run.js";
import { loadScenario } from "../src/scenario/load.js";
import { shrink } from "../src/shrink/shrink.js";
import { SeedList } from "../src/sweep/seeds.js";
import { runSweep } from "../src/sweep/sweep.js";
import type { BenchResult } from "./index.js";

const SCENARIO = "scenarios/primary-backup.yaml";
const SEEDS = "1..400";
const ROUNDS = 2;
const TARGET_SPEEDUP = 1.8;
const TARGET_SHRINK_MS = 30_000;
const SHRINK_BUG = "no-fsync-before-ack";

interface SweepTiming {
  readonly jobs: number;
  readonly seeds: number;
  readonly ms: number;
  /** Seeds per second from the first finished seed to the last (worker start-up excluded). */
  readonly steadyRate: number;
}

async function timeSweep(jobs: number): Promise<SweepTiming> {
  const scenario = loadScenario(SCENARIO);
  const seeds = SeedList.parse(SEEDS);
  let firstAt = 0;
  let lastAt = 0;
  const t0 = performance.now();
  const summary = await runSweep({
    scenario,
    seeds,
    jobs,
    onProgress: (p) => {
      const now = performance.now();
      if (p.done === 1) firstAt = now;
      lastAt = now;
    },
  });
  const ms = performance.now() - t0;
  if (summary.outcomes.some((o) => o.verdict !== "pass") || summary.rechecks.some((r) => !r.match)) throw new Error("bench sweep: a seed failed");
  const n = summary.outcomes.length;
  return { jobs, seeds: n, ms, steadyRate: lastAt > firstAt ? ((n - 1) / (lastAt - firstAt)) * 1000 : 0 };
}

/** Milliseconds for `threads` worker threads each spinning the same fixed loop at once. */
async function spin(threads: number): Promise<number> {
  const code = `let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i * 7) % 1000003; require("node:worker_threads").parentPort.postMessage(x);`;
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(code, { eval: true });
          worker.once("message", () => {
            void worker.terminate();
            resolve();
          });
          worker.once("error", reject);
        }),
    ),
  );
  return performance.now() - t0;
}

async function calibrate(): Promise<{ one: number; two: number; capacity: number }> {
  await spin(1);
  let one = Infinity;
  let two = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    one = Math.min(one, await spin(1));
    two = Math.min(two, await spin(2));
  }
  return { one, two, capacity: (2 * one) / two };
}

function timeShrink(): { seed: number; ms: number; runs: number; before: string; after: string; invariant: string } {
  const scenario = loadScenario(SCENARIO);
  let seed = 1;
  while (run(scenario, { seed, bugs: [SHRINK_BUG] }).verdict === "pass") seed++;
  const t0 = performance.now();
  const outcome = shrink({ scenario, seed, bugs: [SHRINK_BUG] });
  const ms = performance.now() - t0;
  const size = (s: { faults: number; durationMs: number; clients: number }) => `${s.faults} faults, ${s.durationMs} ms, ${s.clients} clients`;
  return { seed, ms, runs: outcome.runs, before: size(outcome.before), after: size(outcome.after), invariant: outcome.invariant };
}

export async function runSweepBench(): Promise<BenchResult> {
  const calibration = await calibrate();
  const best: Record<number, SweepTiming> = {};
  const all: SweepTiming[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const jobs of [1, 2]) {
      const timing = await timeSweep(jobs);
      all.push(timing);
      const previous = best[jobs];
      if (previous === undefined || timing.ms < previous.ms) best[jobs] = timing;
    }
  }
  const one = best[1] as SweepTiming;
  const two = best[2] as SweepTiming;
  const rate = (t: SweepTiming) => (t.seeds / t.ms) * 1000;
  const speedup = rate(two) / rate(one);
  const steadySpeedup = two.steadyRate / one.steadyRate;
  const shrinkTiming = timeShrink();
  const sweepMet = speedup >= TARGET_SPEEDUP;
  const shrinkMet = shrinkTiming.ms < TARGET_SHRINK_MS;
  return {
    name: "sweep",
    metrics: {
      seedsPerSecJobs1: rate(one),
      seedsPerSecJobs2: rate(two),
      speedup,
      steadySpeedup,
      machineParallelCapacity: calibration.capacity,
      shrinkMs: shrinkTiming.ms,
    },
    targetMet: sweepMet && shrinkMet,
    lines: [
      `machine: ${availableParallelism()} CPUs; the same CPU loop in 2 worker threads at once vs 1: ${calibration.capacity.toFixed(2)}x the throughput (2.00x = two free cores)`,
      `sweep ${SCENARIO} seeds ${SEEDS}, whole sweeps incl. worker start-up, best of ${ROUNDS} alternating [ms: ${all.map((t) => `j${t.jobs} ${t.ms.toFixed(0)}`).join(", ")}]`,
      `  --jobs 1: ${rate(one).toFixed(1)} seeds/s (steady ${one.steadyRate.toFixed(1)}/s)`,
      `  --jobs 2: ${rate(two).toFixed(1)} seeds/s (steady ${two.steadyRate.toFixed(1)}/s)`,
      `  speedup: ${speedup.toFixed(2)}x (steady ${steadySpeedup.toFixed(2)}x; target >= ${TARGET_SPEEDUP}x on 2 cores): ${sweepMet ? "MET" : "NOT MET"}` +
        `; ${((speedup / calibration.capacity) * 100).toFixed(0)}% of what this machine's parallel capacity allows`,
      `shrink ${SCENARIO} seed ${shrinkTiming.seed} --bug ${SHRINK_BUG} (${shrinkTiming.invariant}): ${(shrinkTiming.ms / 1000).toFixed(2)} s, ${shrinkTiming.runs} runs ` +
        `(target < ${TARGET_SHRINK_MS / 1000} s): ${shrinkMet ? "MET" : "NOT MET"}; ${shrinkTiming.before} -> ${shrinkTiming.after}`,
    ],
  };
}
