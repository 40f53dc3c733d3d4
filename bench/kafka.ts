/**
 * Kafka end-to-end benchmark (issue 3, "Performance"): the idempotent-producer scenario
 * (3 brokers, RF 3, min ISR 2; the nemesis crashes, pauses, partitions and resets brokers)
 * driven at 1,000 messages/s (2 writers x 500/s, up to 100 sends outstanding each) for 60 s of
 * simulated time, without the liveness phase, so that all simulated time is under load.
 *
 * - speed: the 60 s run, RUNS times with the same seed in one fresh process (the first run is
 *   cold, as a CLI run is; the later ones are warm, as seeds in a sweep worker are): events/s
 *   and simulated time / wall time, of the event loop and of the whole run (loop + history
 *   checkers), and the checkers' share of the run; also the CPU time of each phase (steadier
 *   than wall time on a shared machine) and the share of GC pauses. Target: >= 1000x faster
 *   than real time. Also the kernel floor: the kernel alone (bench/kernel.ts's hold model) for
 *   the same number of events, the bound no model work can beat.
 * - memory: a 10-minute simulated run of the same workload in another fresh process started
 *   with --expose-gc: the peak RSS (the OS's high-water mark, getrusage, so the checkers count),
 *   the peak V8 heap of the event loop (sampled every simulated second), what the run holds at
 *   its end once the checkers are done (heap and array buffers after a full GC) and the heap
 *   still live after the run is dropped. Target: peak RSS < 300 MB. The same run again with
 *   V8's old space capped (--max-old-space-size), since on a large machine V8 lets the heap grow
 *   to about twice what is live. For scale, the same 10 minutes at the scenario's own rate
 *   (2 writers x 100/s).
 *
 * The children are plain `node` running the compiled build (dist/, what bin/eosim.js runs), so
 * no TypeScript loader sits in their memory or their module loading; dist/ is rebuilt first when
 * a source file is newer than its output. `EOSIM_BENCH_SOURCE=tsx` runs the TypeScript sources
 * through tsx instead (the loader then adds about 35 MB of RSS).
 *
 * Bench code is not simulation code: it reads real time to measure.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadScenario } from "../src/scenario/load.js";
import { ensureBuilt, ROOT } from "./build.js";
import type { BenchResult } from "./index.js";
import { kernelFloorLine, kernelFloorMs } from "./kernel.js";

const SCENARIO = "scenarios/idempotent-producer.yaml";
const SEED = 1;
const RUNS = 3;
const SPEED_DURATION_MS = 60_000;
const MEMORY_DURATION_MS = 600_000;
const WRITER_OPS_PER_SEC = 500;
const WRITER_CONCURRENCY = 100;
const TARGET_SPEEDUP = 1_000;
const TARGET_PEAK_RSS_MB = 300;
/** The old-space cap of the capped memory run: V8 otherwise lets the heap grow to about twice what is live on a large machine. */
const CAPPED_OLD_SPACE_MB = 200;

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
  /** CPU time (user + system, all threads) of the loop and of the checkers: less sensitive than wall time to other load on the machine. */
  readonly loopCpuMs: number;
  readonly checkCpuMs: number;
  /** Time in GC pauses (PerformanceObserver "gc" entries) during the loop and the checkers. */
  readonly gcMs: number;
}

interface ChildReport {
  readonly runs: readonly RunFigures[];
  /** RSS after loading the library and a full GC, before any run. */
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  /** Heap used, sampled between simulated seconds of the event loop (not during the checkers) when sampling, else 0. */
  readonly peakHeapUsedMb: number;
  /** What the run holds at its end, checkers done, after a full GC (when sampling): V8 heap and array buffers (the history's and the folds' columns). */
  readonly heldHeapMb: number;
  readonly heldBuffersMb: number;
  readonly liveHeapAfterMb: number;
}

/**
 * The child, as an ES module for `node -e`: argv is the library's URL, the scenario as JSON, the
 * seed, the number of runs, and the sampling step in simulated ms (0: one runUntil, no sampling;
 * stopping between simulated seconds changes nothing, as the next event sets the clock again).
 */
const CHILD = `
const [libUrl, scenarioJson, seedText, runsText, sampleMsText] = process.argv.slice(1);
const lib = await import(libUrl);
const scenario = lib.scenarioFromObject(JSON.parse(scenarioJson), "bench:kafka");
const mb = (bytes) => bytes / (1024 * 1024);
globalThis.gc?.();
const baselineRssMb = mb(process.memoryUsage().rss);
const sampleMs = Number(sampleMsText);
let peakHeapUsed = 0;
let heldHeapUsed = 0;
let heldBuffers = 0;
const sample = () => { peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed); };
const { PerformanceObserver } = await import("node:perf_hooks");
let gcMs = 0;
new PerformanceObserver((list) => { for (const entry of list.getEntries()) gcMs += entry.duration; }).observe({ entryTypes: ["gc"] });
// GC entries reach the observer on a later turn of the event loop: let them arrive.
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const runs = [];
// One run per call: its simulation is dropped when the call returns (a suspended top-level
// await would otherwise keep the last run's locals, and the heap measured after the runs).
async function runOnce() {
  const prepared = lib.prepareRun(scenario, { seed: Number(seedText) });
  const endUs = lib.msToUs(scenario.config.durationMs);
  let sends = 0, acked = 0;
  prepared.sim.history.listen((op) => {
    if (op.f !== "send") return;
    if (op.type === "invoke") sends++;
    else if (op.type === "ok") acked++;
  });
  await settle();
  const gc0 = gcMs;
  const c0 = cpuMs();
  const t0 = performance.now();
  if (sampleMs > 0) {
    for (let t = lib.msToUs(sampleMs); t < endUs; t += lib.msToUs(sampleMs)) { prepared.sim.runUntil(t); sample(); }
  }
  prepared.sim.runUntil(endUs);
  if (sampleMs > 0) sample();
  const t1 = performance.now();
  const c1 = cpuMs();
  const result = prepared.execute();
  const t2 = performance.now();
  const c2 = cpuMs();
  if (sampleMs > 0 && globalThis.gc) {
    globalThis.gc();
    const held = process.memoryUsage();
    heldHeapUsed = Math.max(heldHeapUsed, held.heapUsed);
    heldBuffers = Math.max(heldBuffers, held.arrayBuffers);
  }
  await settle();
  return { events: result.events, traceRecords: result.traceRecords, traceHash: result.traceHash, verdict: result.verdict,
    simMs: result.simTimeMs, historyOps: result.historyOps, sends, acked, loopMs: t1 - t0, checkMs: t2 - t1,
    loopCpuMs: c1 - c0, checkCpuMs: c2 - c1, gcMs: gcMs - gc0 };
}
for (let i = 0; i < Number(runsText); i++) runs.push(await runOnce());
globalThis.gc?.();
console.log(JSON.stringify({ runs, baselineRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024,
  peakHeapUsedMb: mb(peakHeapUsed), heldHeapMb: mb(heldHeapUsed), heldBuffersMb: mb(heldBuffers), liveHeapAfterMb: mb(process.memoryUsage().heapUsed) }));
`;

/** The workload: the scenario for `durationMs`, without its liveness phase, writers at 500/s unless `ownRate`. */
function workload(durationMs: number, ownRate = false): unknown {
  const base = loadScenario(join(ROOT, SCENARIO)).config;
  const clients = ownRate ? base.clients : base.clients.map((c) => (c.kind === "kafka-writer" ? { ...c, opsPerSec: WRITER_OPS_PER_SEC, concurrency: WRITER_CONCURRENCY } : c));
  return { ...base, name: "bench-kafka", durationMs, liveness: { ...base.liveness, enabled: false }, clients };
}

function spawnChild(source: Source, scenario: unknown, runs: number, options: { memory: boolean; maxOldSpaceMb?: number }): ChildReport {
  const lib = pathToFileURL(join(ROOT, source === "dist" ? "dist/src/index.js" : "src/index.ts")).href;
  const flags = [
    ...(options.memory ? ["--expose-gc"] : []),
    ...(options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]),
    ...(source === "tsx" ? ["--import", "tsx"] : []),
  ];
  const args = [...flags, "--input-type=module", "-e", CHILD, "--", lib, JSON.stringify(scenario), String(SEED), String(runs), options.memory ? "1000" : "0"];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`bench child failed with ${result.status}:\n${result.stderr}`);
  const last = result.stdout.trim().split("\n").pop();
  if (last === undefined || last === "") throw new Error("bench child printed nothing");
  return JSON.parse(last) as ChildReport;
}

const f0 = (n: number): string => Math.round(n).toLocaleString("en-US");
const f1 = (n: number): string => n.toFixed(1);
const total = (r: RunFigures): number => r.loopMs + r.checkMs;
const eventsPerSec = (r: RunFigures): number => r.events / (r.loopMs / 1_000);
const speedup = (r: RunFigures): number => r.simMs / total(r);
const checkShare = (r: RunFigures): number => r.checkMs / total(r);

function describe(label: string, r: RunFigures): string {
  return (
    `${label}: ${f0(eventsPerSec(r))} events/s; loop ${f0(r.loopMs)} ms + checkers ${f0(r.checkMs)} ms = ${f0(total(r))} ms ` +
    `-> ${f0(speedup(r))}x real time (loop alone ${f0(r.simMs / r.loopMs)}x); checkers ${f1(checkShare(r) * 100)}% of the run; ` +
    `CPU loop ${f0(r.loopCpuMs)} ms + checkers ${f0(r.checkCpuMs)} ms, GC pauses ${f1((r.gcMs / total(r)) * 100)}% of the run`
  );
}

export function runKafkaBench(): BenchResult {
  const source: Source = process.env.EOSIM_BENCH_SOURCE === "tsx" ? "tsx" : "dist";
  const code = source === "dist" ? `the compiled build in plain node (${ensureBuilt()})` : "the TypeScript sources through tsx";
  const speed = spawnChild(source, workload(SPEED_DURATION_MS), RUNS, { memory: false });
  const memory = spawnChild(source, workload(MEMORY_DURATION_MS), 1, { memory: true });
  const ownRate = spawnChild(source, workload(MEMORY_DURATION_MS, true), 1, { memory: true });
  const capped = spawnChild(source, workload(MEMORY_DURATION_MS), 1, { memory: true, maxOldSpaceMb: CAPPED_OLD_SPACE_MB });

  const runs = speed.runs;
  const cold = runs[0] as RunFigures;
  const warm = runs.slice(1).reduce((a, b) => (total(b) < total(a) ? b : a), runs[1] ?? cold);
  const long = memory.runs[0] as RunFigures;
  const own = ownRate.runs[0] as RunFigures;
  const stable = new Set(runs.map((r) => r.traceHash)).size === 1;
  const speedMet = speedup(cold) >= TARGET_SPEEDUP && speedup(warm) >= TARGET_SPEEDUP;
  const memoryMet = memory.peakRssMb < TARGET_PEAK_RSS_MB;
  const passed = [...runs, long, own, ...capped.runs].every((r) => r.verdict === "pass");
  const floorMs = kernelFloorMs(cold.events);

  return {
    name: "kafka/idempotent-producer",
    metrics: {
      events: cold.events,
      coldEventsPerSec: eventsPerSec(cold),
      warmEventsPerSec: eventsPerSec(warm),
      coldSpeedup: speedup(cold),
      warmSpeedup: speedup(warm),
      coldLoopCpuMs: cold.loopCpuMs,
      warmLoopCpuMs: warm.loopCpuMs,
      warmCheckCpuMs: warm.checkCpuMs,
      warmGcShare: warm.gcMs / total(warm),
      coldCheckShare: checkShare(cold),
      warmCheckShare: checkShare(warm),
      memoryPeakRssMb: memory.peakRssMb,
      memoryPeakHeapUsedMb: memory.peakHeapUsedMb,
      memoryHeldMb: memory.heldHeapMb + memory.heldBuffersMb,
      cappedPeakRssMb: capped.peakRssMb,
      memoryCheckShare: checkShare(long),
      ownRatePeakRssMb: ownRate.peakRssMb,
      kernelFloorSpeedup: cold.simMs / floorMs,
    },
    targetMet: speedMet && memoryMet && passed && stable,
    lines: [
      `${SCENARIO} seed ${SEED}, 2 writers x ${WRITER_OPS_PER_SEC} msg/s (up to ${WRITER_CONCURRENCY} sends out each), no liveness phase; runs ${code}`,
      `60 s simulated: ${f0(cold.events)} events, ${f0(cold.traceRecords)} trace records, ${f0(cold.sends)} sends (${f0(cold.acked)} acknowledged; writers wait while a leader is down), ` +
        `${f0(cold.historyOps)} history ops, verdict ${cold.verdict}, trace ${cold.traceHash}${stable ? ` (same in all ${runs.length} runs)` : " (DIFFERS between runs!)"}`,
      describe("  cold (1st run in a fresh process)", cold),
      describe(`  warm (best of runs 2..${runs.length})`, warm),
      `  speed target >= ${f0(TARGET_SPEEDUP)}x real time (whole run, cold and warm): ${speedMet ? "MET" : "NOT MET"}`,
      `  ${kernelFloorLine(cold.events, cold.simMs, TARGET_SPEEDUP, floorMs)}`,
      `10 min simulated: ${f0(long.events)} events, ${f0(long.sends)} sends (${f0(long.acked)} acknowledged), ${f0(long.historyOps)} history ops, verdict ${long.verdict}; ` +
        `loop ${f1(long.loopMs / 1000)} s + checkers ${f1(long.checkMs / 1000)} s (checkers ${f1(checkShare(long) * 100)}%) -> ${f0(speedup(long))}x real time`,
      `  peak RSS ${f0(memory.peakRssMb)} MB (${f0(memory.baselineRssMb)} MB of it before the run); heap used in the event loop up to ${f0(memory.peakHeapUsedMb)} MB; ` +
        `heap live after the run ${f0(memory.liveHeapAfterMb)} MB`,
      `  held at the end of the run (checkers done, after a full GC): heap ${f0(memory.heldHeapMb)} MB + array buffers ${f0(memory.heldBuffersMb)} MB = ${f0(memory.heldHeapMb + memory.heldBuffersMb)} MB`,
      `  with V8's old space capped (node --max-old-space-size=${CAPPED_OLD_SPACE_MB}): verdict ${capped.runs[0]?.verdict ?? "?"}, peak RSS ${f0(capped.peakRssMb)} MB, loop heap up to ${f0(capped.peakHeapUsedMb)} MB`,
      `  memory target peak RSS < ${TARGET_PEAK_RSS_MB} MB (default V8 heap): ${memoryMet ? "MET" : "NOT MET"}`,
      `  for scale, 10 min at the scenario's own rate (2 writers x 100 msg/s): ${f0(own.sends)} sends, peak RSS ${f0(ownRate.peakRssMb)} MB, ` +
        `loop heap up to ${f0(ownRate.peakHeapUsedMb)} MB, loop ${f1(own.loopMs / 1000)} s + checkers ${f1(own.checkMs / 1000)} s`,
    ],
  };
}
