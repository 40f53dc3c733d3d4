/**
 * Runs the benchmarks: `npm run bench` (all) or `npm run bench -- <name-substring>...`.
 * To add one, write bench/<name>.ts exporting a function that returns a BenchResult (or a
 * promise of one) and list it in `benches` below.
 */
import { pathToFileURL } from "node:url";
import { runEosCopyBench } from "./eos-copy.js";
import { runKafkaBench } from "./kafka.js";
import { runKernelBench } from "./kernel.js";
import { runSweepBench } from "./sweep.js";

export interface BenchResult {
  readonly name: string;
  /** Human-readable report lines. */
  readonly lines: readonly string[];
  /** Raw figures, for machine use. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Whether the bench's target was met; undefined when it has none. */
  readonly targetMet?: boolean;
}

export interface Bench {
  readonly name: string;
  run(): Promise<BenchResult> | BenchResult;
}

export const benches: readonly Bench[] = [
  { name: "kernel/hold", run: runKernelBench },
  { name: "sweep", run: runSweepBench },
  { name: "kafka/idempotent-producer", run: runKafkaBench },
  { name: "kafka/eos-copy", run: runEosCopyBench },
];

export async function runBenches(filters: readonly string[] = []): Promise<BenchResult[]> {
  const selected = benches.filter((b) => filters.length === 0 || filters.some((f) => b.name.includes(f)));
  if (selected.length === 0) throw new Error(`no bench matches ${filters.join(", ")}; have ${benches.map((b) => b.name).join(", ")}`);
  const results: BenchResult[] = [];
  for (const bench of selected) {
    const result = await bench.run();
    results.push(result);
    const verdict = result.targetMet === undefined ? "" : result.targetMet ? " [target met]" : " [TARGET NOT MET]";
    console.log(`== ${result.name}${verdict}`);
    for (const line of result.lines) console.log(`   ${line}`);
  }
  return results;
}

// Run when executed (tsx bench/index.ts), not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBenches(process.argv.slice(2));
}
