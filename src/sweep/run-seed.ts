import { prepareRun } from "../run/run.js";
import type { RunResult } from "../run/result.js";
import type { HistorySource } from "../../sim/history.js";
import type { Scenario } from "../scenario/load.js";
import { FingerprintComparer } from "./fingerprint.js";
import type { SeedRunOutput, SeedTask } from "./protocol.js";

/** Runs one seed as a sweep does (in a worker, or in the main thread): result, run folder, divergence. */
export async function runSeed(scenario: Scenario, task: SeedTask): Promise<SeedRunOutput> {
  const comparer = task.compareTo === undefined ? undefined : new FingerprintComparer(task.compareTo);
  const prepared = prepareRun(scenario, { seed: task.seed, bugs: task.bugs, onTrace: comparer?.listener });
  const result = prepared.execute();
  const divergence = comparer?.divergence();
  const reportPath = task.report !== undefined && result.verdict !== "pass" ? await writeReport(scenario, result, prepared.sim.history, task.report) : undefined;
  return { result, ...(reportPath === undefined ? {} : { reportPath }), ...(divergence === undefined ? {} : { divergence }) };
}

/**
 * The run folder of a failing seed. Its modules load on the first failure only: most sweeps
 * never need them, and every worker would otherwise load them at start-up.
 */
async function writeReport(scenario: Scenario, result: RunResult, history: HistorySource, report: { readonly outDir: string; readonly replay: string }): Promise<string> {
  const [{ focusOnFirstViolation, reportDir, writeRunArtifacts }, { RunRecording }, { formatSummary }] = await Promise.all([
    import("../report/artifacts.js"),
    import("../report/recording.js"),
    import("../report/summary.js"),
  ]);
  const { outDir, replay } = report;
  const summary = formatSummary(result, replay, reportDir(outDir, result), { color: false });
  // The sweep ran without recording (it is the fast path); the failing seed is run once more to draw its report.
  const recording = focusOnFirstViolation(scenario, result, history, new RunRecording());
  return writeRunArtifacts(outDir, { result, history, summary, recording, replay, description: scenario.config.description });
}
