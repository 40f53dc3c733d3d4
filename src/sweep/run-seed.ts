import { focusOnFirstViolation, reportDir, writeRunArtifacts } from "../report/artifacts.js";
import { RunRecording } from "../report/recording.js";
import { formatSummary } from "../report/summary.js";
import { prepareRun } from "../run/run.js";
import type { Scenario } from "../scenario/load.js";
import { FingerprintComparer } from "./fingerprint.js";
import type { SeedRunOutput, SeedTask } from "./protocol.js";

/** Runs one seed as a sweep does (in a worker, or in the main thread): result, run folder, divergence. */
export function runSeed(scenario: Scenario, task: SeedTask): SeedRunOutput {
  const comparer = task.compareTo === undefined ? undefined : new FingerprintComparer(task.compareTo);
  const prepared = prepareRun(scenario, { seed: task.seed, bugs: task.bugs, onTrace: comparer?.listener });
  const result = prepared.execute();
  const divergence = comparer?.divergence();
  let reportPath: string | undefined;
  if (task.report !== undefined && result.verdict !== "pass") {
    const { outDir, replay } = task.report;
    const summary = formatSummary(result, replay, reportDir(outDir, result), { color: false });
    const history = prepared.sim.history.ops;
    // The sweep ran without recording (it is the fast path); the failing seed is run once more to draw its report.
    const recording = focusOnFirstViolation(scenario, result, history, new RunRecording());
    reportPath = writeRunArtifacts(outDir, { result, history, summary, recording, replay, description: scenario.config.description });
  }
  return { result, ...(reportPath === undefined ? {} : { reportPath }), ...(divergence === undefined ? {} : { divergence }) };
}
