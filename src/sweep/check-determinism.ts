/**
 * `check-determinism`: every seed runs twice, first in the main thread, then in a sweep worker (a
 * child process by default, or a worker thread), and the two traces must agree record by record.
 * The main run keeps its per-record running hashes (trace listener) and its records; the worker
 * compares its own hashes with them as it runs and reports the first record where they part, so
 * both records can be printed.
 */
import { prepareRun } from "../run/run.js";
import type { Scenario } from "../scenario/load.js";
import { TraceFingerprint } from "./fingerprint.js";
import { WorkerPool } from "./pool.js";
import type { WorkerIsolation } from "./protocol.js";
import type { SeedItem, SeedList } from "./seeds.js";

export interface DeterminismOptions {
  readonly scenario: Scenario;
  readonly seeds: SeedList;
  readonly bugs?: readonly string[];
  readonly workerImports?: readonly string[];
  /** Child process (default) or worker thread. */
  readonly isolation?: WorkerIsolation;
  /** Called after each seed's comparison. */
  readonly onSeed?: (check: SeedDeterminism) => void;
}

export interface SeedDeterminism {
  readonly seed: number;
  readonly commit?: string;
  readonly mainHash: string;
  /** The worker's trace hash, or an error when its run threw. */
  readonly workerHash: string;
  readonly mainRecords: number;
  readonly workerRecords: number;
  readonly match: boolean;
  /** The first record where the traces differ (absent when they agree). */
  readonly divergence?: {
    readonly index: number;
    /** JSONL trace lines; null where that run's trace had already ended. */
    readonly main: string | null;
    readonly worker: string | null;
    /** The last record both agree on, for context (null: they differ from the first record). */
    readonly lastCommon: string | null;
  };
}

export async function checkDeterminism(options: DeterminismOptions): Promise<SeedDeterminism[]> {
  const { scenario, seeds } = options;
  const bugs = [...(options.bugs ?? [])];
  const pool = await WorkerPool.start(
    { scenarioFile: scenario.file, scenarioSource: scenario.source, imports: options.workerImports ?? [] },
    { size: 1, ...(options.isolation ? { isolation: options.isolation } : {}) },
  );
  const checks: SeedDeterminism[] = [];
  try {
    // Pipelined: the worker checks seed k while the main thread runs seed k+1.
    let pending: Promise<SeedDeterminism> | undefined;
    for (const item of seeds) {
      const main = runInMainThread(scenario, item.seed, bugs);
      if (pending !== undefined) report(await pending);
      pending = compareInWorker(pool, item, bugs, main);
    }
    if (pending !== undefined) report(await pending);
  } finally {
    await pool.close();
  }
  return checks;

  function report(check: SeedDeterminism): void {
    checks.push(check);
    options.onSeed?.(check);
  }
}

function runInMainThread(scenario: Scenario, seed: number, bugs: readonly string[]): { hash: string; fingerprint: TraceFingerprint } {
  const fingerprint = new TraceFingerprint({ keepRecords: true });
  const result = prepareRun(scenario, { seed, bugs, onTrace: fingerprint.listener }).execute();
  return { hash: result.traceHash, fingerprint };
}

async function compareInWorker(pool: WorkerPool, item: SeedItem, bugs: readonly string[], main: { hash: string; fingerprint: TraceFingerprint }): Promise<SeedDeterminism> {
  const { fingerprint } = main;
  const outcome = await pool.run({ seed: item.seed, bugs, compareTo: fingerprint.toWords() });
  const base = { seed: item.seed, ...(item.commit ? { commit: item.commit } : {}), mainHash: main.hash, mainRecords: fingerprint.count };
  if (!outcome.ok) {
    return { ...base, workerHash: `(the run failed: ${outcome.error.split("\n")[0] ?? ""})`, workerRecords: 0, match: false };
  }
  const { result, divergence } = outcome.output;
  const match = divergence === undefined && result.traceHash === main.hash;
  const check = { ...base, workerHash: result.traceHash, workerRecords: result.traceRecords, match };
  if (divergence === undefined) return check;
  const index = divergence.index;
  return {
    ...check,
    divergence: {
      index,
      main: fingerprint.recordJson(index),
      worker: divergence.record,
      lastCommon: index > 0 ? fingerprint.recordJson(index - 1) : null,
    },
  };
}
