/**
 * Seed sweeps: run a scenario over a list of seeds in workers (child processes by default, or
 * worker threads), collect verdicts, coverage (sometimes / reachable hits) and determinism
 * re-checks.
 *
 * Re-checks (FoundationDB style): each seed is picked with probability `recheckRatio` (5% by
 * default; at least one seed per sweep), from an Rng seeded by the scenario's content hash, the
 * seed list, the shard and the bug switches, so the same sweep re-checks the same seeds. A picked
 * seed runs a second time, on another worker when there is one; both trace hashes must agree.
 */
import { availableParallelism } from "node:os";
import { Rng } from "../../sim/rng.js";
import type { AssertionKind } from "../../sim/assertions.js";
import type { InvariantKind } from "../checks/violation.js";
import { EXIT, type RunResult, type Verdict } from "../run/result.js";
import { wallClockMs } from "../run/wall-clock.js";
import type { Scenario } from "../scenario/load.js";
import { EOSIM_VERSION } from "../version.js";
import { WorkerPool, type TaskOutcome } from "./pool.js";
import type { WorkerIsolation } from "./protocol.js";
import type { SeedList } from "./seeds.js";

export const DEFAULT_RECHECK_RATIO = 0.05;

export interface SweepOptions {
  readonly scenario: Scenario;
  readonly seeds: SeedList;
  /** Bug switches added to the scenario's own. */
  readonly bugs?: readonly string[];
  /** Workers; default: os.availableParallelism(). */
  readonly jobs?: number;
  /** Child processes (default) or worker threads. */
  readonly isolation?: WorkerIsolation;
  /** Start no new seed once one has failed. */
  readonly stopOnFirst?: boolean;
  /** Fraction of seeds run twice to check determinism (at least one seed either way). Default 0.05. */
  readonly recheckRatio?: number;
  /** Write the run folder (result.json, history.jsonl, summary.txt) of every failing seed under `outDir`. */
  readonly report?: { readonly outDir: string; readonly replay: (seed: number) => string };
  /** Module URLs every worker imports first (e.g. one that registers a test-only system). */
  readonly workerImports?: readonly string[];
  /** Called after every seed's first run. */
  readonly onProgress?: (progress: SweepProgress) => void;
}

export interface SweepProgress {
  readonly done: number;
  readonly total: number;
  readonly failures: number;
  readonly elapsedMs: number;
}

export interface ViolationBrief {
  readonly invariant: string;
  readonly kind: InvariantKind;
  readonly message: string;
}

/** One seed's first run, in brief. */
export interface SeedOutcome {
  readonly position: number;
  readonly seed: number;
  readonly commit?: string;
  /** `error`: the run threw (a bug in eosim); exit code 70. */
  readonly verdict: Verdict | "error";
  readonly exitCode: number;
  readonly violationCounts: Readonly<Record<string, number>>;
  /** The first violation of each broken invariant. */
  readonly violations: readonly ViolationBrief[];
  readonly traceHash: string;
  readonly events: number;
  readonly wallMs: number;
  readonly reportPath?: string;
  readonly error?: string;
}

/** A seed run twice: the two trace hashes must agree. */
export interface Recheck {
  readonly seed: number;
  readonly commit?: string;
  readonly firstHash: string;
  readonly secondHash: string;
  readonly firstWorker: number;
  readonly secondWorker: number;
  readonly match: boolean;
}

/** A sometimes / reachable property over the sweep. */
export interface CoverageEntry {
  readonly name: string;
  readonly kind: Exclude<AssertionKind, "always">;
  readonly hits: number;
  readonly seedsHit: number;
}

export interface SweepSummary {
  readonly eosimVersion: string;
  readonly scenario: string;
  readonly scenarioFile: string;
  readonly scenarioHash: string;
  readonly seeds: string;
  /** `--shard i/n`, when the sweep ran one shard of the seed list. */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly bugs: readonly string[];
  readonly jobs: number;
  /** Seeds the sweep was asked to run (after sharding). */
  readonly planned: number;
  /** First runs, in seed-list order. */
  readonly outcomes: readonly SeedOutcome[];
  readonly rechecks: readonly Recheck[];
  readonly coverage: readonly CoverageEntry[];
  /** --stop-on-first stopped it before every seed ran. */
  readonly stoppedEarly: boolean;
  readonly wallMs: number;
}

/**
 * Which seeds a sweep re-checks: each with probability `ratio`, drawn in seed-list order from an
 * Rng keyed by the sweep (scenario content hash, seed list, bug switches), so the same sweep
 * re-checks the same seeds; `fallback` picks one when none was drawn.
 */
export class RecheckPicker {
  private readonly rng: Rng;

  constructor(
    key: string,
    readonly ratio: number,
  ) {
    this.rng = new Rng(`sweep-recheck/${key}`);
  }

  next(): boolean {
    return this.rng.chance(this.ratio);
  }

  fallback<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }
}

export async function runSweep(options: SweepOptions): Promise<SweepSummary> {
  const { scenario, seeds } = options;
  const bugs = [...new Set([...scenario.config.bugs, ...(options.bugs ?? [])])].sort();
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), Math.max(1, seeds.size)));
  const shard = seeds.shardInfo ? `${seeds.shardInfo.index}/${seeds.shardInfo.count}` : "all";
  const picker = new RecheckPicker(`${scenario.contentHash}/${seeds.text}/${shard}/${bugs.join(",")}`, options.recheckRatio ?? DEFAULT_RECHECK_RATIO);
  const started = wallClockMs();
  const summary = (outcomes: SeedOutcome[], rechecks: Recheck[], coverage: CoverageEntry[]): SweepSummary => ({
    eosimVersion: EOSIM_VERSION,
    scenario: scenario.config.name,
    scenarioFile: scenario.file,
    scenarioHash: scenario.contentHash,
    seeds: seeds.text,
    ...(seeds.shardInfo ? { shard: seeds.shardInfo } : {}),
    bugs,
    jobs,
    planned: seeds.size,
    outcomes: outcomes.sort((a, b) => a.position - b.position),
    rechecks: rechecks.sort((a, b) => a.seed - b.seed),
    coverage: coverage.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    stoppedEarly: outcomes.length < seeds.size,
    wallMs: Math.round(wallClockMs() - started),
  });
  if (seeds.size === 0) return summary([], [], []);
  const pool = await WorkerPool.start(
    { scenarioFile: scenario.file, scenarioSource: scenario.source, imports: options.workerImports ?? [] },
    { size: jobs, ...(options.isolation ? { isolation: options.isolation } : {}) },
  );

  const outcomes: SeedOutcome[] = [];
  /** First runs that completed (errors are not re-checked), by position: what a re-check compares. */
  const results = new Map<number, { traceHash: string; worker: number }>();
  const rechecks: Recheck[] = [];
  const coverage = new Map<string, { kind: Exclude<AssertionKind, "always">; hits: number; seedsHit: number }>();
  let failures = 0;
  let stop = false;

  const task = (seed: number) => ({
    seed,
    bugs,
    ...(options.report ? { report: { outDir: options.report.outDir, replay: options.report.replay(seed) } } : {}),
  });

  const recheck = async (position: number): Promise<void> => {
    const item = seeds.at(position);
    const first = results.get(position);
    if (first === undefined) return;
    const second = await pool.run({ seed: item.seed, bugs }, first.worker);
    const firstHash = first.traceHash;
    const secondHash = second.ok ? second.output.result.traceHash : `(the run failed: ${second.error.split("\n")[0] ?? ""})`;
    rechecks.push({
      seed: item.seed,
      ...(item.commit ? { commit: item.commit } : {}),
      firstHash,
      secondHash,
      firstWorker: first.worker,
      secondWorker: second.worker,
      match: second.ok && firstHash === secondHash,
    });
  };

  const runPosition = async (position: number, recheckIt: boolean): Promise<void> => {
    const item = seeds.at(position);
    const outcome = await pool.run(task(item.seed));
    const seedOutcome = outcomeOf(position, item.seed, item.commit, outcome);
    outcomes.push(seedOutcome);
    if (outcome.ok) {
      results.set(position, { traceHash: outcome.output.result.traceHash, worker: outcome.worker });
      addCoverage(coverage, outcome.output.result);
    }
    if (seedOutcome.exitCode !== EXIT.pass) {
      failures++;
      if (options.stopOnFirst) stop = true;
    }
    options.onProgress?.({ done: outcomes.length, total: seeds.size, failures, elapsedMs: wallClockMs() - started });
    if (recheckIt) await recheck(position);
  };

  try {
    const inflight = new Set<Promise<void>>();
    for (let position = 0; position < seeds.size && !stop; position++) {
      const picked = picker.next();
      const running: Promise<void> = runPosition(position, picked).finally(() => inflight.delete(running));
      inflight.add(running);
      // One seed more per worker than the workers hold: a worker never waits for this loop to queue its next seed.
      if (inflight.size >= pool.capacity + jobs) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (rechecks.length === 0 && results.size > 0) {
      const done = [...results.keys()].sort((a, b) => a - b);
      await recheck(picker.fallback(done));
    }
  } finally {
    await pool.close();
  }
  return summary(
    outcomes,
    rechecks,
    [...coverage.entries()].map(([name, c]) => ({ name, ...c })),
  );
}

/** Every exit code the sweep produced: one per seed, and 4 for each failed re-check. */
export function sweepExitCodes(summary: SweepSummary): number[] {
  return [...summary.outcomes.map((o) => o.exitCode), ...summary.rechecks.filter((r) => !r.match).map(() => EXIT.nondeterminism)];
}

/** Seeds of each broken invariant, in seed-list order, and how many violations they had in all. */
export interface InvariantFailures {
  readonly invariant: string;
  readonly kind: InvariantKind;
  readonly seeds: readonly SeedOutcome[];
  readonly violations: number;
}

export function failuresByInvariant(summary: SweepSummary): InvariantFailures[] {
  const groups = new Map<string, { kind: InvariantKind; seeds: SeedOutcome[]; violations: number }>();
  for (const outcome of summary.outcomes) {
    for (const [invariant, count] of Object.entries(outcome.violationCounts)) {
      const kind = outcome.violations.find((v) => v.invariant === invariant)?.kind ?? "safety";
      const group = groups.get(invariant) ?? { kind, seeds: [], violations: 0 };
      group.seeds.push(outcome);
      group.violations += count;
      groups.set(invariant, group);
    }
  }
  return [...groups.entries()].map(([invariant, g]) => ({ invariant, ...g }));
}

/** Declared sometimes / reachable properties no seed of the sweep reached. */
export function uncoveredProperties(summary: SweepSummary): CoverageEntry[] {
  return summary.coverage.filter((entry) => entry.hits === 0);
}

function outcomeOf(position: number, seed: number, commit: string | undefined, outcome: TaskOutcome): SeedOutcome {
  const base = { position, seed, ...(commit ? { commit } : {}) };
  if (!outcome.ok) {
    return { ...base, verdict: "error", exitCode: EXIT.internal, violationCounts: {}, violations: [], traceHash: "", events: 0, wallMs: 0, error: outcome.error };
  }
  const { result, reportPath } = outcome.output;
  const firsts = new Map<string, ViolationBrief>();
  for (const v of result.violations) if (!firsts.has(v.invariant)) firsts.set(v.invariant, { invariant: v.invariant, kind: v.kind, message: v.message });
  return {
    ...base,
    verdict: result.verdict,
    exitCode: result.exitCode,
    violationCounts: result.violationCounts,
    violations: [...firsts.values()],
    traceHash: result.traceHash,
    events: result.events,
    wallMs: result.wallMs,
    ...(reportPath === undefined ? {} : { reportPath }),
  };
}

function addCoverage(coverage: Map<string, { kind: Exclude<AssertionKind, "always">; hits: number; seedsHit: number }>, result: RunResult): void {
  for (const stat of result.assertions) {
    if (stat.kind === "always") continue;
    const entry = coverage.get(stat.name) ?? { kind: stat.kind, hits: 0, seedsHit: 0 };
    entry.hits += stat.hits;
    if (stat.hits > 0) entry.seedsHit++;
    coverage.set(stat.name, entry);
  }
}
