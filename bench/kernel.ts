/**
 * "Hold" benchmark of the kernel: HOLD events stay pending; each event, when it fires,
 * schedules one new event at now + a pseudo-random delay. The kernel variant runs through
 * the real node timer path (actor -> ctx.after -> Simulation.scheduleTimer -> EventQueue ->
 * SimNode.fireTimer -> trace record "timer"), driven by Simulation.runUntil as real runs are.
 * The bare variant runs the same workload (same delays, same (time, seq) order) on a minimal
 * binary heap of plain objects. Both are measured in the same process.
 *
 * Bench code is not simulation code: it reads real time (performance.now) to measure.
 */
import { performance } from "node:perf_hooks";
import { Rng, Simulation, type NodeContext } from "../sim/index.js";
import type { BenchResult } from "./index.js";

const HOLD = 1_000;
const EVENTS = 1_000_000;
const SEED = 42;
const RUNS = 3;
/** Target: the kernel keeps at least this fraction of the bare loop's rate. */
const TARGET_RATIO = 0.5;

/**
 * Delays (µs) drawn once from the kernel's seeded Rng and cycled by both variants, so
 * neither pays for random draws inside the timed loop and both see exactly the same delays.
 */
const DELAY_MASK = (1 << 16) - 1;
const DELAYS: Int32Array = (() => {
  const rng = new Rng(SEED).fork("bench/hold/delays");
  const delays = new Int32Array(DELAY_MASK + 1);
  for (let i = 0; i < delays.length; i++) delays[i] = rng.int(1, 1_000);
  return delays;
})();

interface RunResult {
  readonly events: number;
  readonly ms: number;
  /** Simulated time when the run stopped: equal for both variants iff they ran the same schedule. */
  readonly endUs: number;
  readonly traceHash?: string;
  readonly traceRecords?: number;
}

function holdKernel(events: number = EVENTS): RunResult {
  const sim = new Simulation({ seed: SEED });
  let drawn = 0;
  let fired = 0;
  sim.addNode("n1", (ctx: NodeContext) => {
    const fire = (): void => {
      if (++fired === events) {
        sim.halt("bench done");
        return;
      }
      ctx.after(DELAYS[drawn++ & DELAY_MASK] as number, "hold", fire);
    };
    return {
      onStart() {
        for (let i = 0; i < HOLD; i++) ctx.after(DELAYS[drawn++ & DELAY_MASK] as number, "hold", fire);
      },
    };
  });
  const t0 = performance.now();
  sim.node("n1").start();
  sim.runUntil(Number.MAX_SAFE_INTEGER);
  const ms = performance.now() - t0;
  return { events: sim.eventCount, ms, endUs: sim.nowUs, traceHash: sim.trace.hash, traceRecords: sim.trace.count };
}

interface BareEvent {
  time: number;
  seq: number;
}

/** The same workload on a minimal (time, seq) binary min-heap. */
function holdBare(eventCount: number = EVENTS): RunResult {
  const heap: BareEvent[] = [];
  let nextSeq = 0;
  let now = 0;
  let drawn = 0;
  const push = (time: number): void => {
    const event: BareEvent = { time, seq: nextSeq++ };
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as BareEvent;
      if (p.time < time || (p.time === time && p.seq < event.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  };
  const pop = (): BareEvent | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      let child = left;
      const l = heap[left] as BareEvent;
      if (left + 1 < n) {
        const r = heap[left + 1] as BareEvent;
        if (r.time < l.time || (r.time === l.time && r.seq < l.seq)) child = left + 1;
      }
      const c = heap[child] as BareEvent;
      if (last.time < c.time || (last.time === c.time && last.seq < c.seq)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  };

  const t0 = performance.now();
  for (let i = 0; i < HOLD; i++) push(now + (DELAYS[drawn++ & DELAY_MASK] as number));
  let events = 0;
  for (;;) {
    const event = pop();
    if (event === undefined) break;
    now = event.time;
    if (++events === eventCount) break;
    push(now + (DELAYS[drawn++ & DELAY_MASK] as number));
  }
  const ms = performance.now() - t0;
  return { events, ms, endUs: now };
}

interface Measured {
  readonly best: RunResult;
  readonly all: RunResult[];
}

/**
 * One warm-up run of each variant, then RUNS rounds alternating kernel and bare, so that
 * noise from the machine hits both alike; the best (fastest) run of each counts.
 */
function measure(kernelRun: () => RunResult, bareRun: () => RunResult): { kernel: Measured; bare: Measured } {
  kernelRun();
  bareRun();
  const kernel: RunResult[] = [];
  const bare: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    kernel.push(kernelRun());
    bare.push(bareRun());
  }
  const fastest = (runs: RunResult[]): RunResult => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { kernel: { best: fastest(kernel), all: kernel }, bare: { best: fastest(bare), all: bare } };
}

const rate = (r: RunResult): number => r.events / (r.ms / 1_000);
const fmtRate = (eventsPerSec: number): string => `${(eventsPerSec / 1e6).toFixed(2)}M events/s`;

export function runKernelBench(): BenchResult {
  const { kernel, bare } = measure(() => holdKernel(), () => holdBare());
  const kernelRate = rate(kernel.best);
  const bareRate = rate(bare.best);
  const ratio = kernelRate / bareRate;
  const sameSchedule = kernel.best.events === bare.best.events && kernel.best.endUs === bare.best.endUs;
  const hashes = new Set(kernel.all.map((r) => r.traceHash));
  return {
    name: "kernel/hold",
    metrics: { kernelEventsPerSec: kernelRate, bareEventsPerSec: bareRate, ratio },
    targetMet: ratio >= TARGET_RATIO && sameSchedule && hashes.size === 1,
    lines: [
      `hold model: ${HOLD} pending, ${EVENTS.toLocaleString("en-US")} events, seed ${SEED}, best of ${RUNS} (alternating) after 1 warm-up each`,
      `kernel (node timer path): ${fmtRate(kernelRate)}  [runs ms: ${kernel.all.map((r) => r.ms.toFixed(0)).join(", ")}]`,
      `bare (minimal heap):      ${fmtRate(bareRate)}  [runs ms: ${bare.all.map((r) => r.ms.toFixed(0)).join(", ")}]`,
      `ratio kernel/bare: ${(ratio * 100).toFixed(1)}% (target >= ${TARGET_RATIO * 100}%): ${ratio >= TARGET_RATIO ? "MET" : "NOT MET"}`,
      `same schedule: ${sameSchedule ? "yes" : "NO"} (end ${kernel.best.endUs}µs vs ${bare.best.endUs}µs); ` +
        `trace ${kernel.best.traceRecords} records, hash ${kernel.best.traceHash}${hashes.size === 1 ? " (stable across runs)" : " (DIFFERS across runs!)"}`,
    ],
  };
}

/**
 * What the kernel alone costs for `events` events (the hold model: the real node timer path
 * with tracing, no model work): best of RUNS after a warm-up. A run of a real scenario with
 * that many events cannot be faster than this, so `simMs / floorMs` bounds its speed-up.
 */
export function kernelFloorMs(events: number): number {
  holdKernel(events);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) best = Math.min(best, holdKernel(events).ms);
  return best;
}

/** The report line for `kernelFloorMs`: the best speed-up a run of `events` events over `simMs` could reach, and the budget a target leaves per event. */
export function kernelFloorLine(events: number, simMs: number, targetSpeedup: number, floorMs: number): string {
  const budgetUs = (simMs / targetSpeedup / events) * 1_000;
  const kernelUs = (floorMs / events) * 1_000;
  return (
    `kernel floor: the kernel alone (hold model: timer path and trace, no Kafka work, no checkers) runs ${events.toLocaleString("en-US")} events in ${floorMs.toFixed(0)} ms ` +
    `= ${(simMs / floorMs).toFixed(0)}x real time at best; a ${targetSpeedup}x target leaves ${budgetUs.toFixed(2)} µs per event for everything, of which the kernel takes ${kernelUs.toFixed(2)} µs`
  );
}
