/**
 * Kafka end-to-end benchmark (issue 3, "Performance"): the idempotent-producer scenario
 * (3 brokers, RF 3, min ISR 2; the nemesis crashes, pauses, partitions and resets brokers)
 * driven at 1,000 messages/s (2 writers x 500/s, up to 100 sends outstanding each) for 60 s of
 * simulated time, without the liveness phase, so that all simulated time is under load.
 *
 * - speed: the 60 s run, RUNS times with the same seed in one fresh process (the first run is
 *   cold, as a CLI run is; the later ones are warm, as seeds in a sweep worker are): events/s
 *   and simulated time / wall time, of the event loop and of the whole run (loop + history
 *   checkers), and the checkers' share of the run. Target: >= 1000x faster than real time.
 * - memory: a 10-minute simulated run of the same workload in another fresh process started
 *   with --expose-gc: the peak RSS (the OS's high-water mark, getrusage), the peak V8 heap
 *   (sampled every simulated second) and the heap still live after the run. Target: peak RSS
 *   < 300 MB.
 *
 * Both children run the compiled build (dist/, what bin/eosim.js runs); it is rebuilt first
 * when a source file is newer than its output. `EOSIM_BENCH_SOURCE=tsx` runs the TypeScript
 * sources through tsx instead. The children themselves start through tsx (this file), which
 * adds a few MB of RSS: the memory lines print the RSS after loading as the baseline.
 *
 * Bench code is not simulation code: it reads real time to measure.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchResult } from "./index.js";

type Library = typeof import("../src/index.js");
type KafkaChecks = typeof import("../src/checks/kafka/index.js");

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCENARIO = "scenarios/idempotent-producer.yaml";
const SEED = 1;
const RUNS = 3;
const SPEED_DURATION_MS = 60_000;
const MEMORY_DURATION_MS = 600_000;
const WRITER_OPS_PER_SEC = 500;
const WRITER_CONCURRENCY = 100;
const TARGET_SPEEDUP = 1_000;
const TARGET_PEAK_RSS_MB = 300;

type Source = "dist" | "tsx";

/** What one run in a child reports. */
interface RunFigures {
  readonly events: number;
  readonly traceRecords: number;
  readonly traceHash: string;
  readonly verdict: string;
  readonly simMs: number;
  readonly historyOps: number;
  readonly sends: number;
  readonly acked: number;
  /** Wall time of the event loop (prepareRun excluded). */
  readonly loopMs: number;
  /** Wall time of the history checkers and the verdict after the loop. */
  readonly checkMs: number;
}

interface MemoryFigures extends RunFigures {
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
  readonly liveHeapAfterMb: number;
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

// ---- child side: runs in a fresh process ----

async function loadLibrary(source: Source): Promise<{ lib: Library; checks: KafkaChecks }> {
  const base = source === "dist" ? "dist/src" : "src";
  const url = (path: string) => pathToFileURL(join(ROOT, base, path)).href;
  const lib = (await import(url("index.js"))) as Library;
  const checks = (await import(url("checks/kafka/index.js"))) as KafkaChecks;
  return { lib, checks };
}

function workload(lib: Library, durationMs: number) {
  const base = lib.loadScenario(join(ROOT, SCENARIO)).config;
  const clients = base.clients.map((c) => (c.kind === "kafka-writer" ? { ...c, opsPerSec: WRITER_OPS_PER_SEC, concurrency: WRITER_CONCURRENCY } : c));
  return lib.scenarioFromObject({ ...base, name: "bench-kafka", durationMs, liveness: { ...base.liveness, enabled: false }, clients }, "bench:kafka");
}

/** Runs one seed; `between` runs after every simulated second (memory sampling). */
function runOnce(lib: Library, durationMs: number, between?: () => void): RunFigures {
  const prepared = lib.prepareRun(workload(lib, durationMs), { seed: SEED });
  const endUs = lib.msToUs(durationMs);
  const t0 = performance.now();
  if (between === undefined) prepared.sim.runUntil(endUs);
  else {
    // Stopping between simulated seconds changes nothing: the next event sets the clock again.
    for (let t = lib.msToUs(1_000); t < endUs; t += lib.msToUs(1_000)) {
      prepared.sim.runUntil(t);
      between();
    }
    prepared.sim.runUntil(endUs);
  }
  const t1 = performance.now();
  const result = prepared.execute();
  const t2 = performance.now();
  let sends = 0;
  let acked = 0;
  for (const op of prepared.sim.history.ops) {
    if (op.f !== "send") continue;
    if (op.type === "invoke") sends++;
    else if (op.type === "ok") acked++;
  }
  return {
    events: result.events,
    traceRecords: result.traceRecords,
    traceHash: result.traceHash,
    verdict: result.verdict,
    simMs: result.simTimeMs,
    historyOps: result.historyOps,
    sends,
    acked,
    loopMs: t1 - t0,
    checkMs: t2 - t1,
  };
}

async function child(mode: string, source: Source): Promise<void> {
  const { lib } = await loadLibrary(source);
  if (mode === "speed") {
    const runs: RunFigures[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(runOnce(lib, SPEED_DURATION_MS));
    console.log(JSON.stringify(runs));
    return;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("the memory child needs node --expose-gc");
  gc();
  const baselineRssMb = mb(process.memoryUsage().rss);
  let peakHeapUsed = 0;
  const figures = runOnce(lib, MEMORY_DURATION_MS, () => {
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  });
  peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  gc();
  const memory: MemoryFigures = {
    ...figures,
    baselineRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMb: mb(peakHeapUsed),
    liveHeapAfterMb: mb(process.memoryUsage().heapUsed),
  };
  console.log(JSON.stringify(memory));
}

// ---- parent side ----

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Rebuilds dist/ when some source file is newer than its compiled output (or has none). */
function ensureBuilt(): string {
  const stale = [...sourceFiles("sim"), ...sourceFiles("src")].find((file) => {
    const out = join(ROOT, "dist", file.replace(/\.ts$/, ".js"));
    try {
      return statSync(out).mtimeMs < statSync(join(ROOT, file)).mtimeMs;
    } catch {
      return true;
    }
  });
  if (stale === undefined) return "dist/ is up to date";
  const t0 = performance.now();
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  return `rebuilt dist/ (${relative(ROOT, join(ROOT, stale))} was newer) in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

function spawnChild(mode: "speed" | "memory", source: Source): string {
  const self = fileURLToPath(import.meta.url);
  const args = [...(mode === "memory" ? ["--expose-gc"] : []), "--import", "tsx", self, "child", mode, source];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`bench child (${mode}) failed with ${result.status}:\n${result.stderr}`);
  const last = result.stdout.trim().split("\n").pop();
  if (last === undefined) throw new Error(`bench child (${mode}) printed nothing`);
  return last;
}

const f0 = (n: number): string => Math.round(n).toLocaleString("en-US");
const f1 = (n: number): string => n.toFixed(1);

export function runKafkaBench(): BenchResult {
  const source: Source = process.env.EOSIM_BENCH_SOURCE === "tsx" ? "tsx" : "dist";
  const built = source === "dist" ? ensureBuilt() : "running the TypeScript sources through tsx";
  const runs = JSON.parse(spawnChild("speed", source)) as RunFigures[];
  const memory = JSON.parse(spawnChild("memory", source)) as MemoryFigures;

  const cold = runs[0] as RunFigures;
  const warm = runs.slice(1).reduce((a, b) => (b.loopMs + b.checkMs < a.loopMs + a.checkMs ? b : a), runs[1] ?? cold);
  const hashes = new Set(runs.map((r) => r.traceHash));
  const total = (r: RunFigures) => r.loopMs + r.checkMs;
  const eventsPerSec = (r: RunFigures) => r.events / (r.loopMs / 1_000);
  const speedup = (r: RunFigures) => r.simMs / total(r);
  const loopSpeedup = (r: RunFigures) => r.simMs / r.loopMs;
  const checkShare = (r: RunFigures) => r.checkMs / total(r);
  const describe = (label: string, r: RunFigures) =>
    `${label}: ${f0(eventsPerSec(r))} events/s; loop ${f0(r.loopMs)} ms + checkers ${f0(r.checkMs)} ms = ${f0(total(r))} ms ` +
    `-> ${f0(speedup(r))}x real time (loop alone ${f0(loopSpeedup(r))}x); checkers ${f1(checkShare(r) * 100)}% of the run`;
  const speedMet = speedup(cold) >= TARGET_SPEEDUP && speedup(warm) >= TARGET_SPEEDUP;
  const memoryMet = memory.peakRssMb < TARGET_PEAK_RSS_MB;
  const passed = runs.every((r) => r.verdict === "pass") && memory.verdict === "pass";

  return {
    name: "kafka/idempotent-producer",
    metrics: {
      events: cold.events,
      coldEventsPerSec: eventsPerSec(cold),
      warmEventsPerSec: eventsPerSec(warm),
      coldSpeedup: speedup(cold),
      warmSpeedup: speedup(warm),
      coldCheckShare: checkShare(cold),
      warmCheckShare: checkShare(warm),
      memoryPeakRssMb: memory.peakRssMb,
      memoryPeakHeapUsedMb: memory.peakHeapUsedMb,
      memoryLiveHeapAfterMb: memory.liveHeapAfterMb,
      memoryCheckShare: memory.checkMs / (memory.loopMs + memory.checkMs),
    },
    targetMet: speedMet && memoryMet && passed && hashes.size === 1,
    lines: [
      `${SCENARIO} seed ${SEED}, 2 writers x ${WRITER_OPS_PER_SEC} msg/s (concurrency ${WRITER_CONCURRENCY}), no liveness phase; code: ${source} (${built})`,
      `60 s simulated: ${f0(cold.events)} events, ${f0(cold.traceRecords)} trace records, ${f0(cold.sends)} sends (${f0(cold.acked)} acknowledged), ` +
        `${f0(cold.historyOps)} history ops, verdict ${cold.verdict}, trace ${cold.traceHash}${hashes.size === 1 ? ` (same in all ${runs.length} runs)` : " (DIFFERS between runs!)"}`,
      describe("  cold (1st run in a fresh process)", cold),
      describe(`  warm (best of runs 2..${runs.length})`, warm),
      `  speed target >= ${f0(TARGET_SPEEDUP)}x real time (whole run, cold and warm): ${speedMet ? "MET" : "NOT MET"}`,
      `10 min simulated: ${f0(memory.events)} events, ${f0(memory.sends)} sends (${f0(memory.acked)} acknowledged), ${f0(memory.historyOps)} history ops, verdict ${memory.verdict}; ` +
        `loop ${f1(memory.loopMs / 1000)} s + checkers ${f1(memory.checkMs / 1000)} s (${f1((memory.checkMs / (memory.loopMs + memory.checkMs)) * 100)}%)`,
      `  peak RSS ${f0(memory.peakRssMb)} MB (process after loading: ${f0(memory.baselineRssMb)} MB); peak heap used ${f0(memory.peakHeapUsedMb)} MB; ` +
        `heap live after the run ${f0(memory.liveHeapAfterMb)} MB`,
      `  memory target peak RSS < ${TARGET_PEAK_RSS_MB} MB: ${memoryMet ? "MET" : "NOT MET"}`,
    ],
  };
}

// A child: `node [--expose-gc] --import tsx bench/kafka.ts child <speed|memory> <dist|tsx>`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "child") {
  await child(process.argv[3] ?? "speed", process.argv[4] === "tsx" ? "tsx" : "dist");
}
