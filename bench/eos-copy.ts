/**
 * EOS copy benchmark (issue 4, "Performance"): scenarios/eos-copy.yaml (3 brokers; an
 * idempotent writer feeding `input`; two EOS v2 copiers in one group committing every 100 ms; a
 * read_committed reader of `output`; the scenario's nemesis) with the writer driven at 1,000
 * input messages/s for 60 s of simulated time, without the liveness phase. RUNS runs of the same
 * seed in this process: the first is cold (as a CLI run), the later ones warm (as a sweep
 * worker's seeds). Reports events/s, simulated time / wall time of the whole run (loop and
 * checkers) and the copier transactions committed. Target: >= 500x faster than real time. Also
 * the kernel floor: what the kernel alone costs for the same number of events (bench/kernel.ts).
 *
 * Bench code is not simulation code: it reads real time to measure.
 */
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { run } from "../src/run/run.js";
import { loadScenario, parseScenario } from "../src/scenario/load.js";
import type { BenchResult } from "./index.js";
import { kernelFloorLine, kernelFloorMs } from "./kernel.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCENARIO = "scenarios/eos-copy.yaml";
const SEED = 1;
const RUNS = 3;
const DURATION_MS = 60_000;
const INPUT_OPS_PER_SEC = 1_000;
const WRITER_CONCURRENCY = 100;
const TARGET_SPEEDUP = 500;

function benchScenario() {
  const base = loadScenario(join(ROOT, SCENARIO));
  const config = {
    ...base.config,
    durationMs: DURATION_MS,
    liveness: { ...base.config.liveness, enabled: false },
    clients: base.config.clients.map((c) => (c.kind === "kafka-writer" ? { ...c, opsPerSec: INPUT_OPS_PER_SEC, concurrency: WRITER_CONCURRENCY } : c)),
  };
  return parseScenario(JSON.stringify(config), `${SCENARIO} (bench)`);
}

export function runEosCopyBench(): BenchResult {
  const scenario = benchScenario();
  const lines: string[] = [`${SCENARIO} seed ${SEED}, input at ${INPUT_OPS_PER_SEC} msg/s, commit every 100 ms, ${DURATION_MS / 1000} s simulated, no liveness phase`];
  const metrics: Record<string, number> = {};
  let bestSpeedup = 0;
  let events = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = run(scenario, { seed: SEED });
    const wallMs = performance.now() - started;
    const speedup = DURATION_MS / wallMs;
    bestSpeedup = Math.max(bestSpeedup, speedup);
    const label = i === 0 ? "cold" : `warm ${i}`;
    lines.push(`${label}: ${result.events} events in ${wallMs.toFixed(0)} ms = ${((result.events / wallMs) * 1000).toFixed(0)} events/s, ${speedup.toFixed(1)}x real time, ${result.historyOps} history ops, verdict ${result.verdict}`);
    metrics[`${label.replace(" ", "")}Speedup`] = speedup;
    metrics[`${label.replace(" ", "")}Events`] = result.events;
    events = result.events;
  }
  lines.push(`best ${bestSpeedup.toFixed(1)}x real time (target >= ${TARGET_SPEEDUP}x)`);
  const floorMs = kernelFloorMs(events);
  metrics.kernelFloorSpeedup = DURATION_MS / floorMs;
  lines.push(kernelFloorLine(events, DURATION_MS, TARGET_SPEEDUP, floorMs));
  return { name: "kafka/eos-copy", lines, metrics, targetMet: bestSpeedup >= TARGET_SPEEDUP };
}
