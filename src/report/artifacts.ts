import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { historyReader, type HistorySource } from "../../sim/history.js";
import { prepareRun } from "../run/run.js";
import type { RunResult } from "../run/result.js";
import type { Scenario } from "../scenario/load.js";
import { firstViolation, renderReportHtml } from "./report-html.js";
import { RunRecording } from "./recording.js";

/** The folder a run's files go to: `<out>/<scenario>-<seed>/`. */
export function reportDir(outDir: string, result: Pick<RunResult, "scenario" | "seed">): string {
  return join(outDir, `${result.scenario}-${result.seed}`);
}

/** Everything a run folder is written from. */
export interface RunArtifacts {
  readonly result: RunResult;
  /** The run's history (sim.history). */
  readonly history: HistorySource;
  /** The plain-text summary (summary.txt). */
  readonly summary: string;
  /** What the run's trace showed (attach `recording.listener` before the run); without it report.html has no diagram or curves. */
  readonly recording?: RunRecording;
  /** The replay command shown in report.html. Default: `eosim run <scenarioFile> --seed N --bug …`. */
  readonly replay?: string;
  /** The scenario's description, shown in report.html's banner. */
  readonly description?: string;
}

/** `eosim run <file> --seed N --bug …` for a result. */
export function replayCommandFor(result: Pick<RunResult, "scenarioFile" | "seed" | "bugs">): string {
  return ["eosim run", result.scenarioFile, "--seed", String(result.seed), ...result.bugs.flatMap((b) => ["--bug", b])].join(" ");
}

/**
 * Writes result.json, history.jsonl, summary.txt and report.html for one run; returns the
 * folder. The single entry point for run folders (run, sweeps' failing seeds). The positional
 * form (result, history, summary) is kept for callers without a recording.
 */
export function writeRunArtifacts(outDir: string, run: RunArtifacts): string {
  const { result } = run;
  const dir = reportDir(outDir, result);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "result.json"), JSON.stringify(result, null, 2) + "\n");
  writeHistoryJsonl(join(dir, "history.jsonl"), run.history);
  writeFileSync(join(dir, "summary.txt"), run.summary);
  run.recording?.finish(Math.round(result.simTimeMs * 1000));
  const html = renderReportHtml({
    result,
    history: run.history,
    recording: run.recording,
    replay: run.replay ?? replayCommandFor(result),
    description: run.description,
  });
  writeFileSync(join(dir, "report.html"), html);
  return dir;
}

const HISTORY_LINES_PER_WRITE = 4096;

/** One JSON line per op, written in batches: a long run's history is too large to hold as one string. */
function writeHistoryJsonl(path: string, source: HistorySource): void {
  const history = historyReader(source);
  const fd = openSync(path, "w");
  try {
    let lines: string[] = [];
    for (let i = 0; i < history.length; i++) {
      lines.push(JSON.stringify(history.op(i)));
      if (lines.length === HISTORY_LINES_PER_WRITE || i === history.length - 1) {
        writeSync(fd, lines.join("\n") + "\n");
        lines = [];
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A recording whose diagram window shows the run's first violation. Usually `recording` already
 * has it (it keeps windows around the first assertion failure and the end of the run); when not,
 * the seed is run again, the same way, with a recording focused on that trace index (the run is
 * deterministic, and the trace hash proves the second run is the same run).
 *
 * A caller that ran without a recording (a sweep writing a failing seed) passes `new RunRecording()`:
 * the seed then runs once more, recorded, and the report gets every view.
 */
export function focusOnFirstViolation(
  scenario: Scenario,
  result: RunResult,
  history: HistorySource,
  recording: RunRecording,
): RunRecording {
  const first = firstViolation(result, history);
  if (first === undefined || recording.windowShowing(first.anchor) !== undefined) return recording;
  const focused = new RunRecording({ focus: first.anchor, before: recording.before, after: recording.after });
  const again = prepareRun(scenario, { seed: result.seed, bugs: result.bugs, onTrace: focused.listener }).execute();
  if (again.traceHash !== result.traceHash) {
    recording.notes.push(`Replaying seed ${result.seed} to draw the first violation gave trace hash ${again.traceHash}, not ${result.traceHash}: nondeterminism. The diagram shows the first run's end instead.`);
    return recording;
  }
  focused.notes.push(`The seed was run a second time to draw the first violation (same trace hash ${again.traceHash}).`);
  return focused;
}
