import type { HistoryOp } from "../../sim/history.js";
import { focusOnFirstViolation } from "../../src/report/artifacts.js";
import { RunRecording } from "../../src/report/recording.js";
import { renderReportHtml } from "../../src/report/report-html.js";
import { prepareRun } from "../../src/run/run.js";
import type { RunResult } from "../../src/run/result.js";
import type { Scenario } from "../../src/scenario/load.js";

export interface RecordedRun {
  readonly result: RunResult;
  readonly history: readonly HistoryOp[];
  readonly recording: RunRecording;
}

/** A run recorded the way `eosim run` records it: a RunRecording on the trace, then focused on the first violation. */
export function recordedRun(scenario: Scenario, options: { seed?: number; bugs?: string[] } = {}): RecordedRun {
  const recording = new RunRecording();
  const prepared = prepareRun(scenario, { seed: options.seed, bugs: options.bugs, onTrace: recording.listener });
  const result = prepared.execute();
  const history = prepared.sim.history.all();
  const focused = focusOnFirstViolation(scenario, result, history, recording);
  focused.finish(Math.round(result.simTimeMs * 1000));
  return { result, history, recording: focused };
}

/** report.html of a recorded run, as the CLI writes it. */
export function reportOf(scenario: Scenario, run: RecordedRun): string {
  return renderReportHtml({
    result: run.result,
    history: run.history,
    recording: run.recording,
    replay: `eosim run ${scenario.file} --seed ${run.result.seed}${run.result.bugs.map((b) => ` --bug ${b}`).join("")}`,
    description: scenario.config.description,
  });
}

/** Every `id="…"` in a page. */
export function idsIn(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] as string));
}
