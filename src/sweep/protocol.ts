/** Messages between a sweep and its worker threads (structured-cloned plain data). */
import type { RunResult } from "../run/result.js";
import type { Divergence } from "./fingerprint.js";

/** The worker's `workerData`: the scenario as text (so every thread runs the same bytes) and modules to import first. */
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

export type ToWorker = { readonly type: "run"; readonly id: number; readonly task: SeedTask };

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
