/** Messages between a sweep and its workers (structured-cloned plain data, over IPC or a MessagePort). */
import type { RunResult } from "../run/result.js";
import type { Divergence } from "./fingerprint.js";

/**
 * What a sweep worker is: a child process (the default: its own heap, garbage collector,
 * allocator and address space, so two workers share nothing but the CPUs) or a worker thread
 * of the sweep's own process.
 */
export type WorkerIsolation = "process" | "thread";

export const WORKER_ISOLATIONS: readonly WorkerIsolation[] = ["process", "thread"];

/** A worker's first message: the scenario as text (so every worker runs the same bytes) and modules to import first. */
export interface WorkerSetup {
  readonly scenarioFile: string;
  readonly scenarioSource: string;
  /** Module URLs each worker imports before parsing the scenario (e.g. to register a test-only system). */
  readonly imports: readonly string[];
}

/** One run of one seed. */
export interface SeedTask {
  readonly seed: number;
  readonly bugs: readonly string[];
  /** Write the run folder of a failing run under `outDir`; `replay` goes into its summary. */
  readonly report?: { readonly outDir: string; readonly replay: string };
  /** Compare the run's per-record hashes with these (two words per record): reports the first divergence. */
  readonly compareTo?: Uint32Array;
}

/** A worker runs its tasks one at a time, in the order they were sent. */
export type ToWorker = { readonly type: "setup"; readonly setup: WorkerSetup } | { readonly type: "run"; readonly id: number; readonly task: SeedTask };

/** What a run produced. */
export interface SeedRunOutput {
  readonly result: RunResult;
  readonly reportPath?: string;
  readonly divergence?: Divergence;
}

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "fatal"; readonly message: string }
  | { readonly type: "done"; readonly id: number; readonly output: SeedRunOutput }
  | { readonly type: "failed"; readonly id: number; readonly error: string };
